using Talm.KubeApi.Metrics;

namespace Talm.Lab.Hub;

/// <summary>What one client cost the API server, from the server's own counters (whatever process the client runs in).</summary>
public sealed record ClientRequestCounts(long Reads, long Writes, long Deletes, IReadOnlyDictionary<string, long> WritesByResource)
{
    /// <summary>
    /// Sums the requests of the clients whose User-Agent starts with <paramref name="clientPrefix"/>
    /// (e.g. "talm-operator/"). Writes by "resource" or "resource/subresource", as <see cref="RequestCounter"/> keys them.
    /// </summary>
    public static ClientRequestCounts Of(RequestMetrics metrics, string clientPrefix)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        long reads = 0, writes = 0, deletes = 0;
        var byResource = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, count) in metrics.Snapshot())
        {
            if (!key.Client.StartsWith(clientPrefix, StringComparison.Ordinal)) continue;
            if (!key.IsWrite)
            {
                reads += count;
                continue;
            }
            writes += count;
            if (key.IsDelete) deletes += count;
            byResource[key.ResourcePath] = byResource.GetValueOrDefault(key.ResourcePath) + count;
        }
        return new ClientRequestCounts(reads, writes, deletes, byResource);
    }
}
