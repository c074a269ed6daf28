using System.Text.Json.Nodes;
using Talm.Api.Agent;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Cli.Commands;
using Talm.Lab.Hub;
using Talm.Recovery.Backup;
using Talm.Recovery.Layout;

namespace Talm.Lab.Spokes;

/// <summary>A spoke reduced to a timing model: no processes, no files, so thousands fit in one process.</summary>
public sealed class FastSpoke : SimulatedSpoke
{
    /// <summary>The OS a fast spoke runs before its upgrade (the lab's sandbox hosts' version).</summary>
    public const string OsVersion = "418.94.202502110000-0";

    private readonly FastSpokeTiming _timing;
    private readonly Random _random;
    private string? _generation;

    public FastSpoke(string name, SpokeFaults faults, FastSpokeTiming timing, TimeProvider time)
        : base(name, faults, time)
    {
        _timing = timing;
        _random = new Random(timing.Seed ^ StableHash(name));
    }

    protected override async Task<int> RunJobPodAsync(JsonObject job, CancellationToken ct)
    {
        var args = Json.Strings(Json.At(job, "spec", "template", "spec", "containers", "0", "args"));
        var isBackup = Json.Name(job) == SpokeNames.BackupAgent || args.Contains("launchBackup");
        if (!isBackup)
        {
            await Delay(_timing.Precache, ct);
            return 0;
        }
        if (args.Contains("--dry-run"))
            return await PreflightAsync(job, ct);
        var started = Time.GetUtcNow();
        await Delay(Faults.SlowBackup ? _timing.SlowBackup : _timing.Backup, ct);
        var fail = Faults.FailBackup || Roll(_timing.BackupFailureRate);
        LastBackup = new BackupRecord(Time.GetUtcNow() - started, fail ? 0 : _timing.BackupSizeBytes, fail ? 1 : 0,
            fail ? "simulated backup failure" : null);
        if (!fail)
        {
            var facts = Facts(Time.GetUtcNow() - started);
            Volatile.Write(ref _generation, facts.Generation);
            PatchJobAnnotations(job, new JsonObject { [BackupDetails.Annotation] = facts.ToAnnotation() }, notify: false);
        }
        return fail ? 1 : 0;
    }

    /// <summary>What the agent would have published: the configured size, phases in a real run's proportions.</summary>
    private BackupDetails Facts(TimeSpan took)
    {
        var seconds = Math.Max(took.TotalSeconds, 0.001);
        long revision;
        lock (_random) revision = 100_000 + _random.Next(900_000);
        double Share(double part) => Math.Round(seconds * part, 3);
        var bytes = _timing.BackupSizeBytes;
        return new BackupDetails
        {
            Generation = Time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            Bytes = bytes,
            Files = Math.Max(1, bytes / (256 * 1024)),
            ReusedFiles = 0,
            DurationSeconds = Math.Round(seconds, 3),
            Phases = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["scan"] = Share(0.05), ["etcd_snapshot_concurrent"] = Share(0.3), ["copy"] = Share(0.7), ["sync"] = Share(0.15), ["pin"] = Share(0.05),
            },
            EtcdRevision = revision,
            EtcdSnapshotBytes = Math.Min(bytes, 256L * 1024 * 1024),
            OsVersion = OsVersion,
            Verification = "etcd snapshot SHA-256 trailer verified",
            CompletedAt = Time.GetUtcNow(),
        };
    }

    /// <summary>
    /// The agent's pre-flight, simulated: what it would find on a node the size of this timing model (the backup's
    /// size needed, the default 10 GiB margin, 120 GiB free; a spoke whose backup is set to fail has only 20 GiB
    /// free, so its space check fails), published on the Job as the agent publishes it, with its exit code.
    /// </summary>
    private async Task<int> PreflightAsync(JsonObject job, CancellationToken ct)
    {
        await Delay(_timing.Preflight, ct);
        const long gib = 1024L * 1024 * 1024;
        var needed = _timing.BackupSizeBytes;
        var margin = 10 * gib;
        var free = Faults.FailBackup ? 20 * gib : 120 * gib;
        var dir = BackupLayout.JobHostRoot + BackupLayout.DefaultBackupDir;
        var space = $"{SpaceEstimate.Format(needed)} needed (0 files reusable from the previous backup) plus a {SpaceEstimate.Format(margin)} margin, " +
                    $"{SpaceEstimate.Format(free)} free on the filesystem mounted at /host/var (holding {dir})";
        var previous = Volatile.Read(ref _generation);
        PreflightFinding[] findings =
        [
            new(PreflightCheck.Space, free > needed + margin, free > needed + margin ? space : $"{BackupRunner.InsufficientSpaceMessage}: {space}") { NeededBytes = needed, FreeBytes = free },
            new(PreflightCheck.Etcd, true, "https://localhost:2379 (the etcd static pod) answers: etcd 3.5.17 (simulated)"),
            new(PreflightCheck.Previous, true, previous is null ? "none yet: the first backup copies everything" : $"{new BackupDirectory(dir).GenerationPath(previous)} verifies")
                { Generation = previous },
            new(PreflightCheck.Pin, true, $"rhcos-{OsVersion} ({OsVersion}) would be pinned and 1 other deployment(s) removed; /host/sysroot read-only, remounted read-write for the pin (this process may)"),
        ];
        var report = PreflightReports.From(findings, margin, Time.GetUtcNow());
        PatchJobAnnotations(job, new JsonObject { [PreflightReport.Annotation] = report.ToAnnotation() }, notify: false);
        return report.ExitCode;
    }

    protected override async Task<bool> RemediateAsync(string policy, CancellationToken ct)
    {
        await Delay(_timing.Upgrade, ct);
        return !(Faults.FailUpgrade || Roll(_timing.UpgradeFailureRate));
    }

    private Task Delay(TimeSpan d, CancellationToken ct)
    {
        if (d <= TimeSpan.Zero) return Task.CompletedTask;
        double factor;
        lock (_random) factor = 1 + (_random.NextDouble() * _timing.Jitter);
        return Task.Delay(d * factor, Time, ct);
    }

    private bool Roll(double rate)
    {
        if (rate <= 0) return false;
        lock (_random) return _random.NextDouble() < rate;
    }

    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var c in s) h = unchecked((h * 31) + c);
        return h;
    }
}
