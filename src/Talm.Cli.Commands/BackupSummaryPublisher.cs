using Microsoft.Extensions.Logging;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Recovery.Backup;

namespace Talm.Cli.Commands;

/// <summary>
/// The backup Job's agent tells the hub what it backed up: a summary (<see cref="BackupDetails"/>) merged
/// into its own Job's annotations (<see cref="JobAnnotations"/>), where the hub's <c>view-backup-job</c>
/// picks it up. Publishing is best effort: any failure is one warning line and never fails the backup.
/// </summary>
public static class BackupSummaryPublisher
{
    /// <summary>The reference's backup Job, when the pod's host name does not say.</summary>
    public const string DefaultJob = SpokeNames.BackupAgent;

    /// <summary>The facts of a completed backup.</summary>
    public static BackupDetails Summarize(BackupOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var manifest = outcome.Manifest ?? throw new ArgumentException("a completed backup has a manifest", nameof(outcome));
        var phases = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (title, elapsed) in outcome.Phases)
        {
            var name = BackupDetails.PhaseName(title);
            if (BackupDetails.IsPhaseName(name) && (phases.ContainsKey(name) || phases.Count < BackupDetails.MaxPhases))
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
        return JobAnnotations.MergePatch(BackupDetails.Annotation, details.ToAnnotation());
    }

    /// <summary>Publishes where this pod can (<see cref="JobAnnotations.PublishAsync"/>); never fails the backup.</summary>
    public static Task PublishAsync(BackupDetails details, ILogger log, CancellationToken ct) =>
        JobAnnotations.PublishAsync(MergePatch(details), "backup summary", SpokeNames.BackupNamespace, DefaultJob, log, ct);

    /// <summary>Merges the patch into the Job; a refusal is a warning (<see cref="JobAnnotations.PatchJobAsync"/>).</summary>
    public static Task PatchJobAsync(HttpClient http, Uri server, string? token, string ns, string job, string patch, ILogger log, CancellationToken ct) =>
        JobAnnotations.PatchJobAsync(http, server, token, ns, job, patch, log, ct);

    /// <summary>A Job's pod is named <c>&lt;job&gt;-&lt;5 random characters&gt;</c>; anything else is taken for the reference's Job.</summary>
    public static string JobOfPod(string podName) => JobAnnotations.JobOfPod(podName, DefaultJob);
}
