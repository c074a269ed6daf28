namespace Talm.Lab.Spokes;

/// <summary>
/// The fast-fidelity model: how long each piece of spoke work takes and how often it fails. Zero
/// durations make the spokes answer instantly (the fleet benchmark).
/// </summary>
public sealed record FastSpokeTiming
{
    public TimeSpan Backup { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan SlowBackup { get; init; } = TimeSpan.FromSeconds(20);
    public TimeSpan Precache { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>The backup's pre-flight (<c>launchBackup --dry-run</c>, from <c>kubectl talm preflight</c>).</summary>
    public TimeSpan Preflight { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan Upgrade { get; init; } = TimeSpan.FromSeconds(4);
    /// <summary>Each duration is stretched by a random factor in [1, 1 + Jitter].</summary>
    public double Jitter { get; init; } = 0.5;
    public double BackupFailureRate { get; init; }
    public double UpgradeFailureRate { get; init; }
    public long BackupSizeBytes { get; init; } = 14L * 1024 * 1024 * 1024;
    public int Seed { get; init; } = 7;

    public static readonly FastSpokeTiming Instant = new()
    {
        Backup = TimeSpan.Zero, SlowBackup = TimeSpan.Zero, Precache = TimeSpan.Zero, Preflight = TimeSpan.Zero, Upgrade = TimeSpan.Zero, Jitter = 0,
    };
}
