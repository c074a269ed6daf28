using System.Text.Json.Nodes;
using Talm.Lab.Hub;

namespace Talm.Lab.Spokes;

/// <summary>A spoke reduced to a timing model: no processes, no files, so thousands fit in one process.</summary>
public sealed class FastSpoke : SimulatedSpoke
{
    private readonly FastSpokeTiming _timing;
    private readonly Random _random;

    public FastSpoke(string name, SpokeFaults faults, FastSpokeTiming timing, TimeProvider time)
        : base(name, faults, time)
    {
        _timing = timing;
        _random = new Random(timing.Seed ^ StableHash(name));
    }

    protected override async Task<int> RunJobPodAsync(JsonObject job, CancellationToken ct)
    {
        var args = Json.Strings(Json.At(job, "spec", "template", "spec", "containers", "0", "args"));
        var isBackup = Json.Name(job) == "backup-agent" || args.Contains("launchBackup");
        if (!isBackup)
        {
            await Delay(_timing.Precache, ct);
            return 0;
        }
        var started = Time.GetUtcNow();
        await Delay(Faults.SlowBackup ? _timing.SlowBackup : _timing.Backup, ct);
        var fail = Faults.FailBackup || Roll(_timing.BackupFailureRate);
        LastBackup = new BackupRecord(Time.GetUtcNow() - started, fail ? 0 : _timing.BackupSizeBytes, fail ? 1 : 0,
            fail ? "simulated backup failure" : null);
        return fail ? 1 : 0;
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
