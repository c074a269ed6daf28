using Talm.Recovery.NodeTools;

namespace Talm.Recovery.Restore;

/// <summary>The control-plane containers the restore watches through <c>crictl</c>.</summary>
public sealed class NodeContainers(NodeToolRunner tools, RecoveryLog log, TimeProvider time, TimeSpan heartbeat)
{
    /// <summary>The five containers that must come back with a new ID (docs/recovery.md, stage 2).</summary>
    public static readonly IReadOnlyList<string> Watched =
    [
        "etcd", "etcd-operator", "kube-apiserver-operator", "kube-controller-manager-operator", "kube-scheduler-operator-container",
    ];

    /// <summary>ID of the running container with exactly this name, or "" when none runs.</summary>
    public async Task<string> RunningIdAsync(string step, string name, CancellationToken cancellationToken)
    {
        var result = await tools.RunAsync(step, "crictl", ["ps", "-q", "--state", "running", "--name", $"^{name}$"], cancellationToken).ConfigureAwait(false);
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
    }

    public async Task WaitForNewIdAsync(string step, string name, string oldId, TimeSpan timeout, TimeSpan poll, CancellationToken cancellationToken)
    {
        log.Info($"Waiting (up to {timeout.TotalMinutes:0} min) for container {name} to run with a new ID");
        using var beat = Heartbeat.Start(log, time, heartbeat, $"container {name} to run with a new ID", timeout);
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var id = await RunningIdAsync(step, name, cancellationToken).ConfigureAwait(false);
            if (id.Length > 0 && id != oldId)
            {
                log.Info($"Container {name} is running ({id})");
                return;
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new TimeoutException(
                    $"container {name} did not run with a new ID within {timeout.TotalMinutes:0} min; check 'crictl ps -a --name {name}' and 'journalctl -u kubelet'");
            }

            await Task.Delay(poll, time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task WaitGoneAsync(string step, string name, TimeSpan timeout, TimeSpan poll, CancellationToken cancellationToken)
    {
        using var beat = Heartbeat.Start(log, time, heartbeat, $"container {name} to stop", timeout);
        var deadline = time.GetUtcNow() + timeout;
        while ((await RunningIdAsync(step, name, cancellationToken).ConfigureAwait(false)).Length > 0)
        {
            if (time.GetUtcNow() >= deadline)
            {
                throw new TimeoutException($"container {name} still runs {timeout.TotalMinutes:0} min after its static pod manifest was moved out; check 'crictl ps --name {name}' and 'journalctl -u kubelet'");
            }

            await Task.Delay(poll, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
