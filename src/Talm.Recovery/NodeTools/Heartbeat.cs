using System.Globalization;

namespace Talm.Recovery.NodeTools;

/// <summary>
/// While a restore waits (for containers, revisions, a long tool run), says so at least every period:
/// what it waits for, how long so far, and the limit, so a quiet terminal never looks like a hang.
/// </summary>
public sealed class Heartbeat : IDisposable
{
    /// <summary>The longest silence during a wait.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(30);

    private readonly ITimer _timer;

    private Heartbeat(RecoveryLog log, TimeProvider time, TimeSpan period, string what, TimeSpan? limit)
    {
        var started = time.GetTimestamp();
        _timer = time.CreateTimer(
            _ => log.Info($"  still waiting for {what}: {Format(time.GetElapsedTime(started))} so far{(limit is { } l ? $", at most {Format(l)}" : "")}"),
            null,
            period,
            period);
    }

    public static Heartbeat Start(RecoveryLog log, TimeProvider time, TimeSpan period, string what, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(time);
        return new Heartbeat(log, time, period <= TimeSpan.Zero || period > DefaultPeriod ? DefaultPeriod : period, what, limit);
    }

    public static string Format(TimeSpan span) => span.TotalHours >= 1
        ? span.ToString(@"h\h\ mm\m\ ss\s", CultureInfo.InvariantCulture)
        : span.TotalMinutes >= 1 ? span.ToString(@"m\m\ ss\s", CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalSeconds}s");

    public void Dispose() => _timer.Dispose();
}
