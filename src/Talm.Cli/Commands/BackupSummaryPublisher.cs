using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Recovery.Backup;

namespace Talm.Cli.Commands;

/// <summary>
/// The backup Job's agent tells the hub what it backed up: a summary (<see cref="BackupDetails"/>) merged
/// into its own Job's annotations through the spoke's API server with the pod's service account (the
/// reference's backup-agent account is bound to cluster-admin by <c>backup-crb-create</c>, so it may patch
/// its Job), where the hub's <c>view-backup-job</c> picks it up. Publishing is best effort: any failure is
/// one warning line and never fails the backup.
/// </summary>
public static class BackupSummaryPublisher
{
    /// <summary>The reference's backup Job, when the pod's host name does not say.</summary>
    public const string DefaultJob = "backup-agent";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The facts of a completed backup.</summary>
    public static BackupDetails Summarize(BackupOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var manifest = outcome.Manifest ?? throw new ArgumentException("a completed backup has a manifest", nameof(outcome));
        var phases = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (title, elapsed) in outcome.Phases)
        {
            var name = BackupDetails.PhaseName(title);
            if (name.Length > 0 && BackupDetails.IsPhaseName(name) && (phases.ContainsKey(name) || phases.Count < BackupDetails.MaxPhases))
                phases[name] = Math.Round(phases.GetValueOrDefault(name) + elapsed.TotalSeconds, 3);
        }
        var snapshot = manifest.Entries.FirstOrDefault(e => e.Path == manifest.Etcd.SnapshotFile);
        return new BackupDetails
        {
            Generation = outcome.GenerationRoot is { } root ? Path.GetFileName(root) : null,
            Bytes = manifest.Totals.Bytes,
            Files = manifest.Totals.Files,
            ReusedFiles = manifest.Totals.ReusedFiles,
            DurationSeconds = Math.Round(manifest.Totals.DurationSeconds, 3),
            Phases = phases.Count > 0 ? phases : null,
            EtcdRevision = manifest.Etcd.Revision,
            EtcdSnapshotBytes = snapshot?.Size,
            OsVersion = manifest.Ostree?.Version,
            // The runner commits nothing whose snapshot trailer did not verify.
            Verification = "etcd snapshot SHA-256 trailer verified",
            CompletedAt = manifest.CompletedAt,
        };
    }

    /// <summary>The JSON merge patch that puts the summary on the Job.</summary>
    public static string MergePatch(BackupDetails details)
    {
        ArgumentNullException.ThrowIfNull(details);
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [BackupDetails.Annotation] = details.ToAnnotation() } },
        }.ToJsonString();
    }

    /// <summary>Publishes where this pod can: the lab's patch file, else the API server of the cluster it runs in; elsewhere nothing.</summary>
    public static async Task PublishAsync(BackupDetails details, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(log);
        var patch = MergePatch(details);
        try
        {
            if (Environment.GetEnvironmentVariable(BackupDetails.LabPatchFileVariable) is { Length: > 0 } file)
            {
                var partial = file + ".partial";
                await File.WriteAllTextAsync(partial, patch, ct).ConfigureAwait(false);
                File.Move(partial, file, overwrite: true);
                log.LogInformation("Backup summary written for the Job to {File}", file);
                return;
            }
            if (!KubernetesClientConfiguration.IsInCluster())
            {
                log.LogDebug("Not in a pod with a service account: the backup summary stays in the manifest");
                return;
            }
            var config = KubernetesClientConfiguration.InClusterConfig();
            using var client = new Kubernetes(config);
            var job = JobOfPod(Environment.GetEnvironmentVariable("HOSTNAME") ?? Environment.MachineName);
            await PatchJobAsync(client, config.Namespace ?? "openshift-talo-backup", job, patch, log, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning("Could not publish the backup summary on the Job ({Error}); the backup is not affected", CommandGuard.OneLine(e.Message));
        }
    }

    /// <summary>Merges the patch into the Job; a refusal (no permission, no such Job) is a warning.</summary>
    public static async Task PatchJobAsync(IKubernetes client, string ns, string job, string patch, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(log);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            await client.BatchV1.PatchNamespacedJobAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), job, ns, cancellationToken: timeout.Token).ConfigureAwait(false);
            log.LogInformation("Backup summary published on Job {Namespace}/{Job} ({Annotation})", ns, job, BackupDetails.Annotation);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            log.LogWarning("Could not publish the backup summary on Job {Namespace}/{Job}: the API server answered {Status}; the backup is not affected",
                ns, job, (int)e.Response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("Could not publish the backup summary on Job {Namespace}/{Job} ({Error}); the backup is not affected", ns, job, CommandGuard.OneLine(e.Message));
        }
    }

    /// <summary>A Job's pod is named <c>&lt;job&gt;-&lt;5 random characters&gt;</c>; anything else is taken for the reference's Job.</summary>
    public static string JobOfPod(string podName)
    {
        ArgumentNullException.ThrowIfNull(podName);
        var dash = podName.LastIndexOf('-');
        return dash > 0 && podName.Length - dash - 1 == 5 ? podName[..dash] : DefaultJob;
    }
}
