using System.Globalization;
using Microsoft.Extensions.Logging;
using Talm.Recovery.Etcd;
using Talm.Recovery.Host;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Backup;

/// <summary>
/// Writes one complete generation into its building directory (docs/backup-format.md, "What a backup holds"): the
/// trees (copied beside the static pod and extras archives, which tar writes, while the etcd snapshot streams), the
/// snapshot once verified, the images, the recovery script, then, with everything written and made durable, the pin,
/// and the manifest last. The commit is the runner's.
/// </summary>
internal sealed class GenerationBuilder(
    BackupOptions options, ProcessRunner runner, HostPaths host, ILogger logger, TimeProvider time, ProgressCounters counters, PhaseTimings timings)
{
    /// <summary>The generation's name for its files: its start time, as the reference's scripts name them.</summary>
    private sealed record Names(string Timestamp)
    {
        public string Snapshot { get; } = BackupLayout.ClusterDir + "/" + BackupLayout.SnapshotFileName(Timestamp);

        public string StaticPodArchive { get; } = BackupLayout.ClusterDir + "/" + BackupLayout.StaticPodResourcesFileName(Timestamp);
    }

    /// <param name="recycled">The building directory is the previous backup's recycled tree, listed so: what matches in it is kept.</param>
    /// <param name="started">The run's start (<see cref="TimeProvider.GetTimestamp"/>), for the manifest's duration.</param>
    public async Task<BackupManifest> BuildAsync(
        string building, RecycledTree.Survey? recycled, SnapshotStage snapshotStage, SpacePlan plan, DeploymentPin pin, DateTimeOffset startedAt, long started, CancellationToken cancellationToken)
    {
        var copier = plan.Copier;
        if (recycled is not null)
        {
            using (timings.Measure("take over recycled"))
            {
                copier.TakeOver(building, recycled, [BackupLayout.ClusterDir]);
            }
        }

        Directory.CreateDirectory(Path.Combine(building, BackupLayout.ClusterDir));
        var names = new Names(startedAt.ToString("yyyy-MM-dd_HHmmss", CultureInfo.InvariantCulture));
        counters.SetPhase("etcd snapshot and files");
        var (entries, archives) = await CopyAsync(building, names, snapshotStage, plan, cancellationToken).ConfigureAwait(false);

        SnapshotResult snapshot;
        using (timings.Measure("snapshot wait"))
        {
            await archives.ConfigureAwait(false);
            snapshot = await snapshotStage.MoveToAsync(Path.Combine(building, names.Snapshot)).ConfigureAwait(false);
        }

        logger.LogInformation("etcd snapshot: {Bytes} at revision {Revision} ({Keys} keys), SHA-256 trailer verified", SpaceEstimate.Format(snapshot.TotalBytes), snapshot.Revision, snapshot.KeyCount?.ToString(CultureInfo.InvariantCulture) ?? "unknown number of");
        Posix.Chmod(Path.Combine(building, names.Snapshot), FileModes.OwnerReadWrite);
        List<string> generated = [BackupLayout.ClusterDir, BackupLayout.EtcExcludeList, BackupLayout.ExtrasArchive, BackupLayout.RecoveryScript];
        var images = await SaveImagesAsync(building, generated, cancellationToken).ConfigureAwait(false);
        var script = Path.Combine(building, BackupLayout.RecoveryScript);
        await File.WriteAllTextAsync(script, RecoveryScript.Render(options.Program, startedAt), cancellationToken).ConfigureAwait(false);
        Posix.Chmod(script, FileModes.OwnerOnly);

        var known = new Dictionary<string, string>(StringComparer.Ordinal) { [names.Snapshot] = snapshot.FileSha256 };
        using (timings.Measure("describe"))
        {
            foreach (var item in generated)
            {
                entries.AddRange(await EntryDescriber.DescribeAsync(building, item, known, cancellationToken).ConfigureAwait(false));
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var ostree = await SyncAndPinAsync(building, pin, cancellationToken).ConfigureAwait(false);
        using (timings.Measure("manifest"))
        {
            var manifest = Manifest(names, snapshot, ostree, entries, images, copier, startedAt, started);
            ManifestStore.Write(building, manifest, copier.CopyInodes);
            return manifest;
        }
    }

    /// <summary>
    /// Copies the trees while tar writes the archives beside the copy (and the etcd snapshot streams on); fails before
    /// copying anything when etcd refused already (unreachable, bad certificates).
    /// </summary>
    /// <returns>The trees' entries, and the archives' task (ended; awaited for its outcome).</returns>
    private async Task<(List<ManifestEntry> Entries, Task Archives)> CopyAsync(string building, Names names, SnapshotStage snapshotStage, SpacePlan plan, CancellationToken cancellationToken)
    {
        var archives = Task.Run(() => WriteArchivesAsync(building, names, plan, cancellationToken), cancellationToken);
        List<ManifestEntry> entries;
        try
        {
            if (snapshotStage.Task.IsFaulted)
            {
                await snapshotStage.Task.ConfigureAwait(false);
            }

            using (timings.Measure("copy"))
            {
                entries = [.. await plan.Copier.CopyAsync(building, cancellationToken).ConfigureAwait(false)];
            }

            logger.LogInformation(
                "Copied {Files} files ({Reused} reused from the previous backup, {Kept} files and symlinks already in place)", plan.Copier.FilesScanned, plan.Copier.ReusedFiles, plan.Copier.KeptInPlace);
        }
        finally
        {
            // Never leave an archive writing into a directory that is about to be removed.
            await Task.WhenAny(archives).ConfigureAwait(false);
        }

        return (entries, archives);
    }

    private async Task WriteArchivesAsync(string building, Names names, SpacePlan plan, CancellationToken cancellationToken)
    {
        using (timings.Measure("static pods archive (concurrent)"))
        {
            var archive = Path.Combine(building, names.StaticPodArchive);
            await runner.RunAsync(options.Tar, ["-C", host.KubernetesDir, "--xattrs", "--xattrs-include=*", "-czpf", archive, .. NamesOrNothing(plan.RevisionDirs)], cancellationToken).ConfigureAwait(false);
            Posix.Chmod(archive, FileModes.OwnerReadWrite);
        }

        using (timings.Measure("extras (concurrent)"))
        {
            await File.WriteAllLinesAsync(Path.Combine(building, BackupLayout.EtcExcludeList), EtcExclusions.Build(host), cancellationToken).ConfigureAwait(false);
            await runner.RunAsync(options.Tar, ["-C", host.Root, "--xattrs", "--xattrs-include=*", "-czpf", Path.Combine(building, BackupLayout.ExtrasArchive), .. NamesOrNothing([.. plan.Extras.Select(e => e.TrimStart('/'))])], cancellationToken).ConfigureAwait(false);
        }
    }

    // GNU tar refuses to create an empty archive from an empty name list; an empty -T list is fine.
    private static string[] NamesOrNothing(IReadOnlyList<string> names) => names.Count == 0 ? ["-T", "/dev/null"] : ["--", .. names];

    /// <summary>With <c>--images</c>: the containers' images into images/ (added to <paramref name="generated"/>); else null.</summary>
    private async Task<IReadOnlyList<string>?> SaveImagesAsync(string building, List<string> generated, CancellationToken cancellationToken)
    {
        if (!options.Images)
        {
            return null;
        }

        counters.SetPhase("images");
        using var imagesPhase = timings.Measure("images");
        var images = await new ImageSaver(runner, logger, options.Podman).SaveAsync(host, Path.Combine(building, BackupLayout.ImagesDir), cancellationToken).ConfigureAwait(false);
        generated.Add(BackupLayout.ImagesDir);
        return images;
    }

    /// <summary>
    /// The only step that cannot be taken back (undeploy) waits until everything else of the backup is written and the
    /// etcd snapshot verified: a backup that fails earlier leaves the node's deployments as they were. The disk makes the
    /// backup durable while ostree runs.
    /// </summary>
    private async Task<OstreeBackupInfo?> SyncAndPinAsync(string building, DeploymentPin pin, CancellationToken cancellationToken)
    {
        counters.SetPhase("pinning the deployment and syncing");
        var sync = Task.Run(
            () =>
            {
                using (timings.Measure("sync (concurrent)"))
                {
                    Posix.SyncFilesystem(building);
                }
            },
            CancellationToken.None);
        OstreeBackupInfo? ostree;
        try
        {
            using (timings.Measure("pin"))
            {
                ostree = await pin.PinAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await Task.WhenAny(sync).ConfigureAwait(false);
        }

        using (timings.Measure("sync wait"))
        {
            await sync.ConfigureAwait(false);
        }

        return ostree;
    }

    private BackupManifest Manifest(
        Names names, SnapshotResult snapshot, OstreeBackupInfo? ostree, List<ManifestEntry> entries, IReadOnlyList<string>? images, TreeCopier copier, DateTimeOffset startedAt, long started)
    {
        var files = entries.Where(e => e.Kind == EntryKind.File).ToList();
        return new BackupManifest
        {
            ToolVersion = options.ToolVersion,
            Host = ReadHostName(),
            Node = NodeIdentity.Read(host.Root),
            StartedAt = startedAt,
            CompletedAt = time.GetUtcNow(),
            Timestamp = names.Timestamp,
            Etcd = new EtcdBackupInfo
            {
                SnapshotFile = names.Snapshot,
                SnapshotDbSha256 = snapshot.DbSha256,
                Revision = snapshot.Revision,
                KeyCount = snapshot.KeyCount,
                StaticPodResourcesArchive = names.StaticPodArchive,
            },
            Ostree = ostree,
            Entries = entries,
            Images = images,
            Totals = new BackupTotals
            {
                Files = files.Count,
                Bytes = files.Sum(f => f.Size),
                ReusedFiles = copier.ReusedFiles,
                DurationSeconds = time.GetElapsedTime(started).TotalSeconds,
            },
        };
    }

    private string ReadHostName()
    {
        try
        {
            var name = File.Exists(host.Hostname) ? File.ReadLines(host.Hostname).FirstOrDefault()?.Trim() : null;
            return string.IsNullOrEmpty(name) ? System.Net.Dns.GetHostName() : name;
        }
        catch (IOException)
        {
            return System.Net.Dns.GetHostName();
        }
    }
}
