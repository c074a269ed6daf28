using System.Collections.Concurrent;

namespace Talm.Lab.Hub;

/// <summary>
/// Counts the requests a client sends, split into reads and writes (and writes per resource type),
/// so the lab can report what a component costs the API server (the benchmark's "writes per cluster").
/// </summary>
public sealed class RequestCounter : DelegatingHandler
{
    private long _reads;
    private long _writes;
    private long _deletes;
    private readonly ConcurrentDictionary<string, long> _writesByResource = new(StringComparer.Ordinal);

    public long Reads => Interlocked.Read(ref _reads);
    public long Writes => Interlocked.Read(ref _writes);
    public long Deletes => Interlocked.Read(ref _deletes);

    /// <summary>Writes per resource plural (e.g. "managedclusteractions", "clustergroupupgrades/status").</summary>
    public IReadOnlyDictionary<string, long> WritesByResource => new Dictionary<string, long>(_writesByResource, StringComparer.Ordinal);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Method == HttpMethod.Get)
        {
            Interlocked.Increment(ref _reads);
        }
        else
        {
            Interlocked.Increment(ref _writes);
            _writesByResource.AddOrUpdate(Resource(request.RequestUri), 1, (_, n) => n + 1);
        }
        if (request.Method == HttpMethod.Delete)
            Interlocked.Increment(ref _deletes);
        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>The resource a request URL addresses: the plural after the (optional) namespace, plus "/status" for the subresource.</summary>
    internal static string Resource(Uri? uri)
    {
        if (uri is null) return "";
        var parts = uri.AbsolutePath.Trim('/').Split('/');
        // /api/v1/... or /apis/group/version/...; then optional namespaces/<ns>; then plural[/name[/sub]].
        var i = parts.Length > 0 && parts[0] == "api" ? 2 : 3;
        if (i < parts.Length && parts[i] == "namespaces" && i + 2 < parts.Length) i += 2;
        if (i >= parts.Length) return string.Join('/', parts);
        var plural = parts[i];
        return i + 2 < parts.Length ? plural + "/" + parts[i + 2] : plural;
    }
}
