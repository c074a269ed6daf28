namespace Talm.Operator.Queue;

/// <summary>Per-key exponential backoff: base × 2^(failures−1), capped.</summary>
public sealed record Backoff(TimeSpan Base, TimeSpan Max)
{
    /// <summary>controller-runtime starts at 5 ms; a CGU reconcile talks to the API server, so start higher.</summary>
    public static Backoff Default { get; } = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));

    public TimeSpan DelayFor(int failures)
    {
        if (failures <= 0) return TimeSpan.Zero;
        // Beyond 2^40 the cap has long been reached; avoid overflow.
        var exponent = Math.Min(failures - 1, 40);
        var ticks = Base.Ticks * Math.Pow(2, exponent);
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }
}
