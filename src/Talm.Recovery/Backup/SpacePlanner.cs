using Microsoft.Extensions.Logging;
using Talm.Recovery.Host;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// What a backup will write and whether it fits: the scan of the trees against the previous backup (whose manifest is
/// parsed beside the scan), the estimate (<see cref="SpaceEstimate"/>), and, when space is short, what
/// <c>--replace-existing</c> gives up first: the older restore points, oldest first, then the last good backup. The dry
/// run scans and estimates the same way.
/// </summary>
internal sealed class SpacePlanner(BackupOptions options, HostPaths host, BackupDirectory directory, ILogger logger)
{
    /// <summary>The copier with the trees listed and compared with <paramref name="reuse"/>'s backup; nothing written.</summary>
    public TreeCopier Scan(Task<ReuseIndex?> reuse, ProgressCounters counters)
    {
        var tuning = new CopyTuning { SmallFileParallelism = options.Parallelism, LargeFileParallelism = options.LargeFileParallelism, EarlyWriteback = options.EarlyWriteback, SmallFileWriteback = options.SmallFileWriteback, DirectWrites = options.DirectWrites };
        var copier = new TreeCopier(reuse, counters, logger, tuning);
        List<(string, string)> trees = [(host.Etc, BackupLayout.EtcDir), (host.UsrLocal, BackupLayout.LocalDir), (host.Kubelet, BackupLayout.KubeletDir)];
        if (options.Program.NeedsDotnet)
        {
            trees.Add((options.Program.Directory, BackupLayout.BinDir));
        }

        copier.Scan(trees);
        if (!options.Program.NeedsDotnet)
        {
            copier.ScanFile(Path.Combine(options.Program.Directory, options.Program.EntryFile), BackupLayout.BinDir + "/" + options.Program.EntryFile);
        }

        return copier;
    }

    public SpaceEstimate Estimate(TreeCopier copier, IReadOnlyList<string> revisionDirs, IReadOnlyList<string> extras) => new(
        copier.BytesToWrite,
        SpaceEstimate.SizeOf(host.EtcdDb),
        revisionDirs.Sum(d => SpaceEstimate.SizeOf(Path.Combine(host.KubernetesDir, d))),
        extras.Sum(e => SpaceEstimate.SizeOf(host.Combine(e))));

    /// <summary>
    /// Scans the trees against the backup in <paramref name="previousRoot"/>. Its manifest (ten thousand entries, checked;
    /// from its binary index when that mirrors the JSON) is read while the trees are listed, and the recycled tree is
    /// listed too: the reading waits on the CPU, a listing with a cold cache mostly on the disk.
    /// </summary>
    /// <returns>
    /// The copier, the previous backup's manifest (null when there is none, or it cannot be read: nothing is then reused),
    /// and the listing of the recycled tree (null when there is none), which may still be under way.
    /// </returns>
    public async Task<(TreeCopier Copier, BackupManifest? Previous, Task<RecycledTree.Survey?> Recycled)> ScanAsync(string? previousRoot, ProgressCounters counters, PhaseTimings timings, CancellationToken cancellationToken)
    {
        var reuseTask = previousRoot is null
            ? Task.FromResult<ReuseIndex?>(null)
            : Task.Run(
                () =>
                {
                    using var phase = timings.Measure("previous manifest (concurrent)");
                    return ManifestStore.ReadForReuse(previousRoot) is { } manifest ? new ReuseIndex(previousRoot, manifest) : null;
                },
                cancellationToken);
        var recycle = directory.RecyclePath;
        var recycled = Directory.Exists(recycle)
            ? Task.Run<RecycledTree.Survey?>(
                () =>
                {
                    using var phase = timings.Measure("list recycled (concurrent)");
                    return RecycledTree.List(recycle, options.Parallelism);
                },
                cancellationToken)
            : Task.FromResult<RecycledTree.Survey?>(null);

        counters.SetPhase("scanning");
        TreeCopier copier;
        using (timings.Measure("scan"))
        {
            copier = Scan(reuseTask, counters);
        }

        var previous = (await reuseTask.ConfigureAwait(false))?.Previous;
        if (previousRoot is not null && previous is null)
        {
            logger.LogWarning("The current backup {Root} has no readable manifest; nothing will be reused from it", previousRoot);
        }

        return (copier, previous, recycled);
    }

    /// <summary>
    /// Whether the backup fits beside what is kept: free space (what the etcd snapshot wrote so far counted as free, the
    /// estimate holds it) against the estimate and the margin. When it does not, <c>--replace-existing</c> drops older
    /// restore points, oldest first, and then the last good backup in <paramref name="previousRoot"/>, scanning again
    /// without it; without the flag, or if that is not enough, the plan is a refusal.
    /// </summary>
    /// <param name="recycled">The listing of the recycled tree (<see cref="ScanAsync"/>), carried in the plan; awaited before the tree is removed.</param>
    public SpacePlan Plan(TreeCopier copier, GenerationWindow window, SnapshotStage snapshot, string? previousRoot, ProgressCounters counters, PhaseTimings timings, Task<RecycledTree.Survey?> recycled)
    {
        IReadOnlyList<string> revisionDirs;
        IReadOnlyList<string> extras;
        SpaceEstimate estimate;
        using (timings.Measure("space estimate"))
        {
            revisionDirs = StaticPodRevisions.CurrentRevisionDirs(host);
            extras = ExtraFiles.Find(host);
            estimate = Estimate(copier, revisionDirs, extras);
        }

        var free = FreeBytes(snapshot);
        var older = window.Older().Count;
        logger.LogInformation(
            "Space: {Needed} needed ({Trees} files to write, etcd {Etcd}, static pods {StaticPods}, extras {Extras}; {Reused} files reusable from the previous backup), {Margin} margin, {Free} free; {Older} older restore point(s) kept (--keep {Keep})",
            SpaceEstimate.Format(estimate.Total), SpaceEstimate.Format(estimate.TreeBytes), SpaceEstimate.Format(estimate.EtcdBytes),
            SpaceEstimate.Format(estimate.StaticPodBytes), SpaceEstimate.Format(estimate.ExtrasBytes), copier.ReusableFiles,
            SpaceEstimate.Format(options.SpaceMargin), SpaceEstimate.Format(free), older, window.Keep);
        var plan = new SpacePlan(copier, estimate, revisionDirs, extras) { Recycled = recycled };
        if (free > estimate.WithMargin(options.SpaceMargin))
        {
            return plan;
        }

        while (options.ReplaceExisting && free <= estimate.WithMargin(options.SpaceMargin) && window.DropOldest())
        {
            free = FreeBytes(snapshot);
            older--;
        }

        if (previousRoot is not null && options.ReplaceExisting && free <= estimate.WithMargin(options.SpaceMargin))
        {
            logger.LogWarning("Not enough space for both backups: removing the previous backup {Root} first (--replace-existing)", previousRoot);
            recycled.GetAwaiter().GetResult(); // its listing is done before the tree goes
            DropCurrent(previousRoot);
            previousRoot = null;
            copier = Scan(Task.FromResult<ReuseIndex?>(null), counters);
            estimate = Estimate(copier, revisionDirs, extras);
            free = FreeBytes(snapshot);
            plan = plan with { Copier = copier, Estimate = estimate, DroppedCurrent = true, Recycled = Task.FromResult<RecycledTree.Survey?>(null) };
        }

        if (free > estimate.WithMargin(options.SpaceMargin))
        {
            return plan;
        }

        var kept = older > 0
            ? $"the last good backup and {older} older restore point(s) (--keep {window.Keep}) are kept: free space, or pass --replace-existing to drop them first (oldest first)"
            : "the last good backup is kept: free space, or pass --replace-existing to drop it first";
        var message = $"{BackupRunner.InsufficientSpaceMessage}: {SpaceEstimate.Format(estimate.Total)} needed plus a {SpaceEstimate.Format(options.SpaceMargin)} margin, {SpaceEstimate.Format(free)} free in {directory.Path}"
            + (previousRoot is null ? "; free space on that filesystem" : "; " + kept);
        return plan with { Refusal = message };
    }

    private long FreeBytes(SnapshotStage snapshot)
    {
        var written = snapshot.BytesWritten;
        return Posix.FreeBytes(directory.Path) + written;
    }

    /// <summary>Deletes the current backup, and the recycled tree, whose names would keep its inodes (and their space) alive.</summary>
    private void DropCurrent(string previousRoot)
    {
        directory.Uncommit();
        TreeRemover.Remove(directory.RecyclePath, options.Parallelism);
        TreeRemover.Remove(previousRoot, options.Parallelism);
    }
}

/// <summary>What the space check decided: what to copy and what it costs, or why the backup cannot be taken.</summary>
/// <param name="RevisionDirs">The static pod revisions to archive (under the host's /etc/kubernetes).</param>
/// <param name="Extras">The machine-config files outside the trees, for extras.tgz.</param>
internal sealed record SpacePlan(TreeCopier Copier, SpaceEstimate Estimate, IReadOnlyList<string> RevisionDirs, IReadOnlyList<string> Extras)
{
    /// <summary>The last good backup was removed to make room (<c>--replace-existing</c>): there is no previous backup any more.</summary>
    public bool DroppedCurrent { get; init; }

    /// <summary>Not enough space even after what may be given up: the message, and nothing is written.</summary>
    public string? Refusal { get; init; }

    /// <summary>The listing of the recycled tree the generation is built in (null when there is none), made beside the scan.</summary>
    public Task<RecycledTree.Survey?> Recycled { get; init; } = Task.FromResult<RecycledTree.Survey?>(null);
}
