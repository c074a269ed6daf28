namespace Talm.Operator.Kube;

public sealed record InformerOptions
{
    /// <summary>Asked of the server per watch; it then ends the watch cleanly and we resume.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A watch that sends nothing (not even a bookmark) for this long is presumed dead.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>Page size of the list.</summary>
    public int PageSize { get; init; } = 500;

    public TimeSpan RetryMin { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromSeconds(30);
}
