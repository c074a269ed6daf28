using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Backup;

/// <summary>
/// <c>talm recovery backup</c> / <c>launchBackup</c> (docs/backup-format.md): builds a new backup
/// beside the last good one, makes it durable, commits it with one rename, and only then drops the old.
/// </summary>
public sealed partial class BackupRunner
{
    public const string RecoveryInProgressMessage = "Cannot take backup. Recovery is currently in progress";
    public const string InsufficientSpaceMessage = "insufficient disk space to trigger backup";
    public const string PinFailedMessage = "Failed to pin active deployment";

    private readonly BackupOptions _options;
    private readonly ProcessRunner _runner;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IBackupProgressReporter _reporter;
    private readonly HostPaths _host;
    private readonly string _dir;
    private readonly BackupDirectory _directory;

    public BackupRunner(BackupOptions options, ProcessRunner runner, ILogger logger, TimeProvider time, IBackupProgressReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _runner = runner;
        _logger = logger;
        _time = time;
        _reporter = reporter;
        _host = new HostPaths(Path.GetFullPath(options.HostRoot));
        _dir = Path.GetFullPath(options.BackupDir);
        _directory = new BackupDirectory(_dir);
    }

    public async Task<BackupOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        if (_options.HostRootFromVolumes)
        {
            JobVolumes.Check(_host, _dir, NeededHostPaths(), MountTable.Current());
        }

        if (_directory.Progress.Exists)
        {
            _logger.LogWarning(RecoveryInProgressMessage);
            return new BackupOutcome(BackupStatus.SkippedRecoveryInProgress, RecoveryInProgressMessage);
        }

        Directory.CreateDirectory(_dir);
        using var lockFile = AcquireLock();
        if (_directory.Progress.Exists)
        {
            // A restore began between the check above and the lock.
            _logger.LogWarning(RecoveryInProgressMessage);
            return new BackupOutcome(BackupStatus.SkippedRecoveryInProgress, RecoveryInProgressMessage);
        }

        var window = new GenerationWindow(_directory, _directory.ResolveKeep(_options.Keep), _options.Parallelism, _logger);
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        var timings = new PhaseTimings(_time);
        Directory.CreateDirectory(_directory.GenerationsPath);
        var previousGeneration = _directory.CurrentId();
        using (timings.Measure("leftovers"))
        {
            window.Prepare();
        }

        var connection = FindEtcd();
        var generation = BackupDirectory.NewGenerationId(startedAt, previousGeneration, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        var counters = new ProgressCounters();
        using var ticker = new ProgressTicker(counters, _reporter, _time, _options.ProgressPeriod);

        // The etcd snapshot streams over the network from now on: nothing else waits for it, nor it for anything.
        var snapshot = SnapshotStage.Start(_directory.SnapshotStagingPath(generation), connection, counters, timings, _logger, cancellationToken);
        await using var stopSnapshot = snapshot.ConfigureAwait(false);
        var previousRoot = previousGeneration is null ? null : _directory.GenerationPath(previousGeneration);

        // The previous manifest (ten thousand entries of JSON, checked) is parsed while the trees are
        // listed: the parse waits on the CPU, a listing with a cold cache mostly on the disk.
        var reuseTask = previousRoot is null
            ? Task.FromResult<ReuseIndex?>(null)
            : Task.Run(
                () =>
                {
                    using var phase = timings.Measure("previous manifest (concurrent)");
                    return ManifestStore.ReadForReuse(previousRoot) is { } manifest ? new ReuseIndex(previousRoot, manifest) : null;
                },
                cancellationToken);

        // The recycled tree is listed beside the trees too; it is taken over once the space is known to suffice.
        var recycle = _directory.RecyclePath;
        var survey = Directory.Exists(recycle)
            ? Task.Run<RecycledTree.Survey?>(
                () =>
                {
                    using var phase = timings.Measure("list recycled (concurrent)");
                    return RecycledTree.List(recycle, _options.Parallelism);
                },
                cancellationToken)
            : Task.FromResult<RecycledTree.Survey?>(null);

        counters.SetPhase("scanning");
        var scan = timings.Measure("scan");
        var copier = Scan(reuseTask, counters);
        scan.Dispose();
        var previous = (await reuseTask.ConfigureAwait(false))?.Previous;
        if (previousRoot is not null && previous is null)
        {
            _logger.LogWarning("The current backup {Root} has no readable manifest; nothing will be reused from it", previousRoot);
        }

        var estimating = timings.Measure("space estimate");
        var revisionDirs = StaticPodRevisions.CurrentRevisionDirs(_host);
        var extras = ExtraFiles.Find(_host);
        var estimate = Estimate(copier, revisionDirs, extras);
        estimating.Dispose();
        var free = FreeBytes(snapshot);
        var older = window.Older().Count;
        _logger.LogInformation(
            "Space: {Needed} needed ({Trees} files to write, etcd {Etcd}, static pods {StaticPods}, extras {Extras}; {Reused} files reusable from the previous backup), {Margin} margin, {Free} free; {Older} older restore point(s) kept (--keep {Keep})",
            SpaceEstimate.Format(estimate.Total), SpaceEstimate.Format(estimate.TreeBytes), SpaceEstimate.Format(estimate.EtcdBytes),
            SpaceEstimate.Format(estimate.StaticPodBytes), SpaceEstimate.Format(estimate.ExtrasBytes), copier.ReusableFiles,
            SpaceEstimate.Format(_options.SpaceMargin), SpaceEstimate.Format(free), older, window.Keep);
        if (free <= estimate.WithMargin(_options.SpaceMargin))
        {
            // --replace-existing gives up the older restore points first, oldest first, and the last good backup only if that is not enough.
            while (_options.ReplaceExisting && free <= estimate.WithMargin(_options.SpaceMargin) && window.DropOldest())
            {
                free = FreeBytes(snapshot);
                older--;
            }

            if (previousRoot is not null && _options.ReplaceExisting && free <= estimate.WithMargin(_options.SpaceMargin))
            {
                _logger.LogWarning("Not enough space for both backups: removing the previous backup {Root} first (--replace-existing)", previousRoot);
                await survey.ConfigureAwait(false);
                DropCurrent(previousRoot);
                previousRoot = null;
                previousGeneration = null;
                copier = Scan(Task.FromResult<ReuseIndex?>(null), counters);
                estimate = Estimate(copier, revisionDirs, extras);
                free = FreeBytes(snapshot);
            }

            if (free <= estimate.WithMargin(_options.SpaceMargin))
            {
                var kept = older > 0
                    ? $"the last good backup and {older} older restore point(s) (--keep {window.Keep}) are kept: free space, or pass --replace-existing to drop them first (oldest first)"
                    : "the last good backup is kept: free space, or pass --replace-existing to drop it first";
                var message = $"{InsufficientSpaceMessage}: {SpaceEstimate.Format(estimate.Total)} needed plus a {SpaceEstimate.Format(_options.SpaceMargin)} margin, {SpaceEstimate.Format(free)} free in {_dir}"
                    + (previousRoot is null ? "; free space on that filesystem" : "; " + kept);
                _logger.LogError("{Message}", message);
                return new BackupOutcome(BackupStatus.InsufficientSpace, message, Estimate: estimate);
            }
        }

        counters.AddTotals(estimate.EtcdBytes, 0);
        var building = _directory.BuildingPath(generation);
        var recycled = await survey.ConfigureAwait(false) is { } surveyed && Directory.Exists(recycle) ? surveyed : null;
        if (recycled is not null)
        {
            Posix.Rename(recycle, building);
        }

        var pin = new PinRecord();
        try
        {
            var manifest = await BuildAsync(building, recycled, snapshot, copier, counters, timings, revisionDirs, extras, pin, startedAt, started, cancellationToken).ConfigureAwait(false);
            counters.SetPhase("committing");
            var final = _directory.GenerationPath(generation);
            using (timings.Measure("commit"))
            {
                _directory.Commit(building, generation);
            }

            _logger.LogInformation("Committed backup {Generation} in {Dir}", generation, _dir);
            if (window.Overflowing())
            {
                counters.SetPhase("recycling the previous backup");
                using (timings.Measure("recycle previous"))
                {
                    window.Retire(previousGeneration, previous, () => copier.SharedWithPrevious, recycle);
                }
            }

            counters.SetPhase("done");
            _logger.LogDebug("Phase timings: {Phases}; total {Total:0.00} s", timings, _time.GetElapsedTime(started).TotalSeconds);
            return new BackupOutcome(BackupStatus.Completed, $"backup {generation} complete: {manifest.Totals.Files} files, {SpaceEstimate.Format(manifest.Totals.Bytes)}, {manifest.Totals.ReusedFiles} reused, {manifest.Totals.DurationSeconds:0.0} s", manifest, final, estimate) { Phases = timings.Phases };
        }
        catch (Exception e) when (IsOutOfSpace(e))
        {
            RemoveQuietly(building);
            await UndoPinAsync(pin).ConfigureAwait(false);
            var message = $"{InsufficientSpaceMessage}: the backup filesystem filled up while writing ({e.Message}); the last good backup is kept";
            _logger.LogError("{Message}", message);
            return new BackupOutcome(BackupStatus.InsufficientSpace, message);
        }
        catch
        {
            RemoveQuietly(building);
            await UndoPinAsync(pin).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<BackupManifest> BuildAsync(
        string building, RecycledTree.Survey? recycled, SnapshotStage snapshotStage, TreeCopier copier, ProgressCounters counters, PhaseTimings timings, IReadOnlyList<string> revisionDirs, IReadOnlyList<string> extras,
        PinRecord pin, DateTimeOffset startedAt, long started, CancellationToken cancellationToken)
    {
        if (recycled is not null)
        {
            using (timings.Measure("take over recycled"))
            {
                copier.TakeOver(building, recycled, [BackupLayout.ClusterDir]);
            }
        }

        Directory.CreateDirectory(Path.Combine(building, BackupLayout.ClusterDir));
        var timestamp = startedAt.ToString("yyyy-MM-dd_HHmmss", CultureInfo.InvariantCulture);
        var snapshotRel = BackupLayout.ClusterDir + "/" + BackupLayout.SnapshotFileName(timestamp);
        var archiveRel = BackupLayout.ClusterDir + "/" + BackupLayout.StaticPodResourcesFileName(timestamp);

        counters.SetPhase("etcd snapshot and files");

        // The archives are made by tar processes, beside the copy as well.
        var archivesTask = Task.Run(
            async () =>
            {
                using (timings.Measure("static pods archive (concurrent)"))
                {
                    await _runner.RunAsync(_options.Tar, ["-C", _host.KubernetesDir, "--xattrs", "--xattrs-include=*", "-czpf", Path.Combine(building, archiveRel), .. NamesOrNothing(revisionDirs)], cancellationToken).ConfigureAwait(false);
                    Posix.Chmod(Path.Combine(building, archiveRel), FileModes.OwnerReadWrite);
                }

                using (timings.Measure("extras (concurrent)"))
                {
                    await File.WriteAllLinesAsync(Path.Combine(building, BackupLayout.EtcExcludeList), EtcExclusions.Build(_host), cancellationToken).ConfigureAwait(false);
                    await _runner.RunAsync(_options.Tar, ["-C", _host.Root, "--xattrs", "--xattrs-include=*", "-czpf", Path.Combine(building, BackupLayout.ExtrasArchive), .. NamesOrNothing([.. extras.Select(e => e.TrimStart('/'))])], cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken);
        List<ManifestEntry> entries;
        try
        {
            if (snapshotStage.Task.IsFaulted)
            {
                // etcd refused already (unreachable, bad certificates): fail before copying anything.
                await snapshotStage.Task.ConfigureAwait(false);
            }

            using (timings.Measure("copy"))
            {
                entries = [.. await copier.CopyAsync(building, cancellationToken).ConfigureAwait(false)];
            }

            _logger.LogInformation(
                "Copied {Files} files ({Reused} reused from the previous backup, {Kept} files and symlinks already in place)", copier.FilesScanned, copier.ReusedFiles, copier.KeptInPlace);
        }
        finally
        {
            // Never leave an archive writing into a directory that is about to be removed.
            await Task.WhenAny(archivesTask).ConfigureAwait(false);
        }

        SnapshotResult snapshot;
        using (timings.Measure("snapshot wait"))
        {
            await archivesTask.ConfigureAwait(false);
            snapshot = await snapshotStage.MoveToAsync(Path.Combine(building, snapshotRel)).ConfigureAwait(false);
        }

        _logger.LogInformation("etcd snapshot: {Bytes} at revision {Revision} ({Keys} keys), SHA-256 trailer verified", SpaceEstimate.Format(snapshot.TotalBytes), snapshot.Revision, snapshot.KeyCount?.ToString(CultureInfo.InvariantCulture) ?? "unknown number of");
        Posix.Chmod(Path.Combine(building, snapshotRel), FileModes.OwnerReadWrite);
        var generated = new List<string> { BackupLayout.ClusterDir, BackupLayout.EtcExcludeList, BackupLayout.ExtrasArchive, BackupLayout.RecoveryScript };

        IReadOnlyList<string>? images = null;
        if (_options.Images)
        {
            counters.SetPhase("images");
            using var imagesPhase = timings.Measure("images");
            images = await new ImageSaver(_runner, _logger, _options.Podman).SaveAsync(_host, Path.Combine(building, BackupLayout.ImagesDir), cancellationToken).ConfigureAwait(false);
            generated.Add(BackupLayout.ImagesDir);
        }

        var script = Path.Combine(building, BackupLayout.RecoveryScript);
        await File.WriteAllTextAsync(script, RecoveryScript.Render(_options.Program, startedAt), cancellationToken).ConfigureAwait(false);
        Posix.Chmod(script, FileModes.OwnerOnly);

        var known = new Dictionary<string, string>(StringComparer.Ordinal) { [snapshotRel] = snapshot.FileSha256 };
        using (timings.Measure("describe"))
        {
            foreach (var item in generated)
            {
                entries.AddRange(await EntryDescriber.DescribeAsync(building, item, known, cancellationToken).ConfigureAwait(false));
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var files = entries.Where(e => e.Kind == EntryKind.File).ToList();

        // The only step that cannot be taken back (undeploy) waits until everything else of the backup is
        // written and the etcd snapshot verified: a backup that fails earlier leaves the node's deployments as they were.
        // The disk makes the backup durable while ostree runs.
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
                ostree = await PinDeploymentAsync(pin, cancellationToken).ConfigureAwait(false);
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

        var manifestPhase = timings.Measure("manifest");
        var manifest = new BackupManifest
        {
            ToolVersion = _options.ToolVersion,
            Host = ReadHostName(),
            Node = NodeIdentity.Read(_host.Root),
            StartedAt = startedAt,
            CompletedAt = _time.GetUtcNow(),
            Timestamp = timestamp,
            Etcd = new EtcdBackupInfo
            {
                SnapshotFile = snapshotRel,
                SnapshotDbSha256 = snapshot.DbSha256,
                Revision = snapshot.Revision,
                KeyCount = snapshot.KeyCount,
                StaticPodResourcesArchive = archiveRel,
            },
            Ostree = ostree,
            Entries = entries,
            Images = images,
            Totals = new BackupTotals
            {
                Files = files.Count,
                Bytes = files.Sum(f => f.Size),
                ReusedFiles = copier.ReusedFiles,
                DurationSeconds = _time.GetElapsedTime(started).TotalSeconds,
            },
        };
        ManifestStore.Write(building, manifest, copier.CopyInodes);
        manifestPhase.Dispose();
        return manifest;
    }

    /// <summary>Free space in the backup directory, counting what the etcd snapshot wrote so far as free (the estimate holds it).</summary>
    private long FreeBytes(SnapshotStage snapshot)
    {
        var written = snapshot.BytesWritten;
        return Posix.FreeBytes(_dir) + written;
    }

    /// <summary>Every node path the backup reads or writes (besides the backup directory), and why.</summary>
    private IEnumerable<(string, string)> NeededHostPaths()
    {
        yield return ("/etc", "copied into etc/; static pods, etcd certificates, machine config");
        yield return ("/usr/local", "copied into local/");
        yield return ("/var/lib/kubelet", "copied into kubelet/");
        yield return ("/var/lib/etcd", "etcd's database, for the space estimate");
        yield return ("/sysroot", "the ostree deployments pinned and undeployed");
        foreach (var extra in ExtraFiles.Listed(_host))
        {
            yield return (extra, "a machine-config file outside /etc, /usr/local and /var/lib/kubelet, for extras.tgz");
        }

        if (_options.Images)
        {
            yield return ("/var/lib/containers/storage", "container images, for --images");
            yield return ("/run/containers/storage", "container storage's run root, for --images");
        }
    }

    private EtcdConnection FindEtcd()
    {
        if (_options.Etcd is { } given)
        {
            _logger.LogInformation("etcd: {Endpoint} (--etcd-endpoint)", given.Endpoint);
            return given;
        }

        var found = EtcdEndpointDiscovery.Discover(_host, NetworkNamespaces.SharesNetworkWithNode(_host.Proc));
        _logger.LogInformation("etcd: {Endpoint} ({Source}){Certificate}", found.Connection.Endpoint, found.Source,
            found.Connection.CertFile is { } cert ? ", client certificate " + cert : "");
        return found.Connection;
    }

    // GNU tar refuses to create an empty archive from an empty name list; an empty -T list is fine.
    private static string[] NamesOrNothing(IReadOnlyList<string> names) => names.Count == 0 ? ["-T", "/dev/null"] : ["--", .. names];

    private TreeCopier Scan(Task<ReuseIndex?> reuse, ProgressCounters counters)
    {
        var tuning = new CopyTuning { SmallFileParallelism = _options.Parallelism, LargeFileParallelism = _options.LargeFileParallelism, EarlyWriteback = _options.EarlyWriteback, SmallFileWriteback = _options.SmallFileWriteback, DirectWrites = _options.DirectWrites };
        var copier = new TreeCopier(reuse, counters, _logger, tuning);
        List<(string, string)> trees = [(_host.Etc, BackupLayout.EtcDir), (_host.UsrLocal, BackupLayout.LocalDir), (_host.Kubelet, BackupLayout.KubeletDir)];
        if (_options.Program.NeedsDotnet)
        {
            trees.Add((_options.Program.Directory, BackupLayout.BinDir));
        }

        copier.Scan(trees);
        if (!_options.Program.NeedsDotnet)
        {
            copier.ScanFile(Path.Combine(_options.Program.Directory, _options.Program.EntryFile), BackupLayout.BinDir + "/" + _options.Program.EntryFile);
        }

        return copier;
    }

    private SpaceEstimate Estimate(TreeCopier copier, IReadOnlyList<string> revisionDirs, IReadOnlyList<string> extras) => new(
        copier.BytesToWrite,
        SpaceEstimate.SizeOf(_host.EtcdDb),
        revisionDirs.Sum(d => SpaceEstimate.SizeOf(Path.Combine(_host.KubernetesDir, d))),
        extras.Sum(e => SpaceEstimate.SizeOf(_host.Combine(e))));

    private async Task<OstreeBackupInfo?> PinDeploymentAsync(PinRecord pin, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(_host.Sysroot, "ostree")))
        {
            _logger.LogWarning("No ostree sysroot at {Sysroot}: the deployment is not pinned", _host.Sysroot);
            return null;
        }

        var ostree = new OstreeCli(_runner, _host.OstreeSysroot, _options.Ostree);
        try
        {
            OstreeSysrootLink.Ensure(_host, _logger);
            using var writable = OstreeWriteAccess.Acquire(_host, _logger);
            var deployments = await ostree.StatusAsync(cancellationToken).ConfigureAwait(false);
            var active = deployments.FirstOrDefault(d => d.Booted) ?? deployments.FirstOrDefault()
                ?? throw new BackupException($"{PinFailedMessage}: ostree lists no deployment in {_host.OstreeSysroot} (its bootloader entries are read from {_host.Boot})");
            foreach (var other in deployments.Where(d => d.Id != active.Id).OrderByDescending(d => d.Index))
            {
                _logger.LogInformation("Removing deployment {Deployment} ({Version})", other.Id, other.Version);
                await ostree.UndeployAsync(other, active.Id, cancellationToken).ConfigureAwait(false);
            }

            var now = (await ostree.StatusAsync(cancellationToken).ConfigureAwait(false)).Single(d => d.Id == active.Id);
            if (!now.Pinned)
            {
                await ostree.PinAsync(now.Index, cancellationToken).ConfigureAwait(false);
                pin.PinnedByUs = active.Id;
            }

            _logger.LogInformation("Pinned deployment {Deployment} ({Version})", active.Id, active.Version);
            return new OstreeBackupInfo { Checksum = active.Checksum, Version = active.Version, OsName = active.OsName, DeploySerial = active.Serial };
        }
        catch (Exception e) when (e is ProcessFailedException or InvalidOperationException or IOException)
        {
            throw new BackupException($"{PinFailedMessage}: {e.Message}", e);
        }
    }

    /// <summary>A backup that fails after pinning takes its pin back (the removed deployments cannot come back; see PinDeploymentAsync).</summary>
    private async Task UndoPinAsync(PinRecord pin)
    {
        if (pin.PinnedByUs is not { } id)
        {
            return;
        }

        try
        {
            var ostree = new OstreeCli(_runner, _host.OstreeSysroot, _options.Ostree);
            using var writable = OstreeWriteAccess.Acquire(_host, _logger);
            if ((await ostree.StatusAsync().ConfigureAwait(false)).FirstOrDefault(d => d.Id == id) is { Pinned: true } pinned)
            {
                await ostree.UnpinAsync(pinned.Index).ConfigureAwait(false);
                _logger.LogWarning("The backup failed after pinning deployment {Deployment}: unpinned it again", id);
            }
        }
        catch (Exception e) when (e is ProcessFailedException or InvalidOperationException or IOException)
        {
            _logger.LogWarning("The backup failed after pinning deployment {Deployment}, and unpinning it failed too: {Error}", id, e.Message);
        }
    }

    /// <summary>What the pin step changed, so that a failure after it can be undone.</summary>
    private sealed class PinRecord
    {
        public string? PinnedByUs { get; set; }
    }

    private FileStream AcquireLock() =>
        _directory.TryLock() ?? throw new BackupException($"another backup or a restore is running in {_dir} (it holds {BackupDirectory.LockName}); wait for it to finish");

    /// <summary>Deletes the current backup, and the recycled tree, whose names would keep its inodes (and their space) alive.</summary>
    private void DropCurrent(string previousRoot)
    {
        _directory.Uncommit();
        TreeRemover.Remove(_directory.RecyclePath, _options.Parallelism);
        TreeRemover.Remove(previousRoot, _options.Parallelism);
    }

    private string ReadHostName()
    {
        try
        {
            var name = File.Exists(_host.Hostname) ? File.ReadLines(_host.Hostname).FirstOrDefault()?.Trim() : null;
            return string.IsNullOrEmpty(name) ? System.Net.Dns.GetHostName() : name;
        }
        catch (IOException)
        {
            return System.Net.Dns.GetHostName();
        }
    }

    private static bool IsOutOfSpace(Exception e) => e switch
    {
        NativeException n => n.Errno == NativeException.ENOSPC,
        ProcessFailedException p => p.Message.Contains("No space left on device", StringComparison.Ordinal),
        IOException io => io.HResult == NativeException.ENOSPC || io.Message.Contains("No space left on device", StringComparison.Ordinal),
        _ => e.InnerException is not null && IsOutOfSpace(e.InnerException),
    };

    private void RemoveQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException e)
        {
            _logger.LogWarning("Could not remove the incomplete backup {Path}: {Error}; the next run removes it", path, e.Message);
        }
    }
}
