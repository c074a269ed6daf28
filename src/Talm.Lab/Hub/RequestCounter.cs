namespace Talm.Lab.Hub;

/// <summary>
/// Counts the requests a client sends, split into reads and writes, so the lab can report how much a
/// component costs the API server (the fleet benchmark's "writes per cluster").
/// </summary>
public sealed class RequestCounter : DelegatingHandler
{
    private long _reads;
    private long _writes;
    private long _deletes;

    public long Reads => Interlocked.Read(ref _reads);
    public long Writes => Interlocked.Read(ref _writes);
    public long Deletes => Interlocked.Read(ref _deletes);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Method == HttpMethod.Get)
            Interlocked.Increment(ref _reads);
        else
            Interlocked.Increment(ref _writes);
        if (request.Method == HttpMethod.Delete)
            Interlocked.Increment(ref _deletes);
        return base.SendAsync(request, cancellationToken);
    }
}
