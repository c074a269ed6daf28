using System.Globalization;
using Talm.Recovery.NodeTools;

namespace Talm.Recovery.Restore;

/// <summary>
/// Final stage: force a new revision of each control-plane operand so it is rolled out from the
/// restored state, and wait until the node runs it.
/// </summary>
public sealed class Redeployment(NodeToolRunner tools, RecoveryLog log, TimeProvider time, TimeSpan heartbeat)
{
    public static readonly IReadOnlyList<string> Operators = ["etcd", "kubeapiserver", "kubecontrollermanager", "kubescheduler"];

    public async Task RunAsync(string step, string reason, TimeSpan timeout, TimeSpan poll, CancellationToken cancellationToken)
    {
        foreach (var name in Operators)
        {
            var latest = await ReadRevisionAsync(step, name, "{.status.latestAvailableRevision}", timeout, poll, cancellationToken).ConfigureAwait(false);
            log.Info($"Forcing a redeployment of {name} (latest available revision {latest})");
            await tools.RunAsync(step, "oc", ["patch", name, "cluster", "--type=merge", "-p", $$$"""{"spec":{"forceRedeploymentReason":"{{{reason}}}"}}"""], cancellationToken).ConfigureAwait(false);
            var target = latest + 1;
            log.Info($"Waiting (up to {timeout.TotalMinutes:0} min) for the node to run {name} revision {target} or later");
            using var beat = Heartbeat.Start(log, time, heartbeat, $"the node to run {name} revision {target}", timeout);
            var deadline = time.GetUtcNow() + timeout;
            while (true)
            {
                var result = await tools.TryRunAsync(step, "oc", ["get", name, "cluster", "-o", "jsonpath={.status.nodeStatuses[*].currentRevision}"], cancellationToken).ConfigureAwait(false);
                var revisions = result.Succeeded ? ParseRevisions(result.StdOut) : [];
                if (revisions.Count > 0 && revisions.Min() >= target)
                {
                    log.Info($"{name} runs revision {revisions.Min()}");
                    break;
                }

                if (time.GetUtcNow() >= deadline)
                {
                    throw new TimeoutException(
                        $"{name} did not reach revision {target} within {timeout.TotalMinutes:0} min (last: '{result.Output}'); check 'oc get {name} cluster -o yaml' and 'oc get pods -n openshift-{(name == "kubeapiserver" ? "kube-apiserver" : name == "kubecontrollermanager" ? "kube-controller-manager" : name == "kubescheduler" ? "kube-scheduler" : "etcd")}'");
                }

                await Task.Delay(poll, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads a revision, retrying while the API server is still coming up.</summary>
    private async Task<int> ReadRevisionAsync(string step, string name, string path, TimeSpan timeout, TimeSpan poll, CancellationToken cancellationToken)
    {
        using var beat = Heartbeat.Start(log, time, heartbeat, $"the API server to report {name}'s revision", timeout);
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var result = await tools.TryRunAsync(step, "oc", ["get", name, "cluster", "-o", "jsonpath=" + path], cancellationToken).ConfigureAwait(false);
            if (result.Succeeded && int.TryParse(result.StdOut.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var revision))
            {
                return revision;
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new NodeToolException(step, result.Command, result.ExitCode, result.Output.Length > 0 ? result.Output : "no revision in the output");
            }

            await Task.Delay(poll, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static List<int> ParseRevisions(string text) =>
        text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : -1)
            .Where(r => r >= 0)
            .ToList();
}
