using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Talm.Recovery.Etcd;
using Talm.Recovery.Host;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Backup;

/// <summary>
/// <c>talm recovery backup</c> / <c>launchBackup</c> (docs/backup-format.md): builds a new backup beside the last good
/// one, makes it durable, commits it with one rename, and only then drops the old. The phases are types of their own:
/// <see cref="GenerationWindow"/> (which restore points stay), <see cref="SnapshotStage"/> (the etcd snapshot, from the
/// start), <see cref="SpacePlanner"/> (the scan and whether it fits), <see cref="GenerationBuilder"/> (the generation's
/// files, the pin, the manifest) and <see cref="BackupDirectory"/> (the commit).
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
    private readonly SpacePlanner _planner;

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
        _planner = new SpacePlanner(options, _host, _directory, logger);
    }

    public async Task<BackupOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        if (_options.HostRootFromVolumes)
        {
            JobVolumes.Check(_host, _dir, NeededHostPaths(), MountTable.Current());
        }

        if (_directory.Progress.Exists)
        {
            return RecoveryInProgress();
        }

        Directory.CreateDirectory(_dir);
        using var lockFile = AcquireLock();
        if (_directory.Progress.Exists)
        {
            // A restore began between the check above and the lock.
            return RecoveryInProgress();
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
        var (copier, previous, recycled) = await _planner.ScanAsync(previousRoot, counters, timings, cancellationToken).ConfigureAwait(false);
        var plan = _planner.Plan(copier, window, snapshot, previousRoot, counters, timings, recycled);
        if (plan.Refusal is { } refusal)
        {
            _logger.LogError("{Message}", refusal);
            return new BackupOutcome(BackupStatus.InsufficientSpace, refusal, Estimate: plan.Estimate);
        }

        counters.AddTotals(plan.Estimate.EtcdBytes, 0);
        var run = new Run(generation, plan.DroppedCurrent ? null : previousGeneration, previous, snapshot, plan, startedAt, started, counters, timings);
        return await BuildAndCommitAsync(run, window, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Builds the generation (in the recycled tree when there is one), commits it with one rename, then lets the restore
    /// points beyond --keep go. A failure before the commit removes what was built and takes the pin back.
    /// </summary>
    private async Task<BackupOutcome> BuildAndCommitAsync(Run run, GenerationWindow window, CancellationToken cancellationToken)
    {
        var building = _directory.BuildingPath(run.Generation);
        var recycled = await run.Plan.Recycled.ConfigureAwait(false) is { } listed && Directory.Exists(_directory.RecyclePath) ? listed : null;
        if (recycled is not null)
        {
            Posix.Rename(_directory.RecyclePath, building);
        }

        var pin = new DeploymentPin(_runner, _host, _options.Ostree, _logger);
        try
        {
            var builder = new GenerationBuilder(_options, _runner, _host, _logger, _time, run.Counters, run.Timings);
            var manifest = await builder.BuildAsync(building, recycled, run.Snapshot, run.Plan, pin, run.StartedAt, run.Started, cancellationToken).ConfigureAwait(false);
            run.Counters.SetPhase("committing");
            using (run.Timings.Measure("commit"))
            {
                _directory.Commit(building, run.Generation);
            }

            _logger.LogInformation("Committed backup {Generation} in {Dir}", run.Generation, _dir);
            if (window.Overflowing())
            {
                run.Counters.SetPhase("recycling the previous backup");
                using (run.Timings.Measure("recycle previous"))
                {
                    window.Retire(run.PreviousGeneration, run.Previous, () => run.Plan.Copier.SharedWithPrevious, _directory.RecyclePath);
                }
            }

            run.Counters.SetPhase("done");
            _logger.LogDebug("Phase timings: {Phases}; total {Total:0.00} s", run.Timings, _time.GetElapsedTime(run.Started).TotalSeconds);
            var message = $"backup {run.Generation} complete: {manifest.Totals.Files} files, {SpaceEstimate.Format(manifest.Totals.Bytes)}, {manifest.Totals.ReusedFiles} reused, {manifest.Totals.DurationSeconds:0.0} s";
            return new BackupOutcome(BackupStatus.Completed, message, manifest, _directory.GenerationPath(run.Generation), run.Plan.Estimate) { Phases = run.Timings.Phases };
        }
        catch (Exception e) when (IsOutOfSpace(e))
        {
            RemoveQuietly(building);
            await pin.UndoAsync().ConfigureAwait(false);
            var message = $"{InsufficientSpaceMessage}: the backup filesystem filled up while writing ({e.Message}); the last good backup is kept";
            _logger.LogError("{Message}", message);
            return new BackupOutcome(BackupStatus.InsufficientSpace, message);
        }
        catch
        {
            RemoveQuietly(building);
            await pin.UndoAsync().ConfigureAwait(false);
            throw;
        }
    }

    private BackupOutcome RecoveryInProgress()
    {
        _logger.LogWarning(RecoveryInProgressMessage);
        return new BackupOutcome(BackupStatus.SkippedRecoveryInProgress, RecoveryInProgressMessage);
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

    private FileStream AcquireLock() =>
        _directory.TryLock() ?? throw new BackupException($"another backup or a restore is running in {_dir} (it holds {BackupDirectory.LockName}); wait for it to finish");

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

    /// <summary>One run's state once the space is planned: what the build and the commit need.</summary>
    /// <param name="PreviousGeneration">The current backup before this run (null when there was none, or --replace-existing dropped it).</param>
    /// <param name="Previous">Its manifest, when it could be read.</param>
    /// <param name="Started">The run's start (<see cref="TimeProvider.GetTimestamp"/>).</param>
    private sealed record Run(
        string Generation, string? PreviousGeneration, BackupManifest? Previous, SnapshotStage Snapshot, SpacePlan Plan,
        DateTimeOffset StartedAt, long Started, ProgressCounters Counters, PhaseTimings Timings);
}
