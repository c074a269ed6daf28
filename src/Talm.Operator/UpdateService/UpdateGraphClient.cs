using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Talm.Engine.Model;

namespace Talm.Operator.UpdateService;

/// <summary>
/// Reads OpenShift update graphs (Cincinnati: the public one or a disconnected hub's OpenShift Update
/// Service) to turn a ClusterVersion's upstream, channel and version into a release image, as the
/// reference does: through the proxy of HTTPS_PROXY/NO_PROXY, with certificate checks unless
/// INSECURE_GRAPH_CALL=true. A graph is kept for a minute, so a CGU's reconciles do not each ask again.
/// </summary>
public sealed class UpdateGraphClient : IDisposable
{
    public static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, (UpdateGraph Graph, DateTimeOffset At)> _fetched = new(StringComparer.Ordinal);

    public UpdateGraphClient(bool insecure, TimeProvider time, ILogger log, HttpMessageHandler? handler = null)
    {
        _time = time;
        _log = log;
        if (handler is null)
        {
            var sockets = new SocketsHttpHandler();
            if (insecure)
                sockets.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            handler = sockets;
        }
        _http = new HttpClient(handler) { Timeout = RequestTimeout };
    }

    /// <summary>The graphs fetched within the last minute, to give the engine up front.</summary>
    public IReadOnlyDictionary<string, UpdateGraph> Fresh()
    {
        var now = _time.GetUtcNow();
        return _fetched.Where(p => now - p.Value.At < KeepFor).ToDictionary(p => p.Key, p => p.Value.Graph, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyDictionary<string, UpdateGraph>> GetAsync(IEnumerable<string> urls, CancellationToken cancel)
    {
        var result = new Dictionary<string, UpdateGraph>(StringComparer.Ordinal);
        foreach (var url in urls.Distinct(StringComparer.Ordinal))
            result[url] = await GetAsync(url, cancel).ConfigureAwait(false);
        return result;
    }

    public async Task<UpdateGraph> GetAsync(string url, CancellationToken cancel)
    {
        var now = _time.GetUtcNow();
        if (_fetched.TryGetValue(url, out var kept) && now - kept.At < KeepFor)
            return kept.Graph;
        var graph = await FetchAsync(url, cancel).ConfigureAwait(false);
        _fetched[url] = (graph, now);
        if (graph.Error is not null)
            _log.LogWarning("Update graph {Url}: {Error}", url, graph.Error);
        return graph;
    }

    private async Task<UpdateGraph> FetchAsync(string url, CancellationToken cancel)
    {
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            response = await _http.SendAsync(request, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or UriFormatException)
        {
            return new UpdateGraph { Error = $"unable to request update graph on url {url}: {Flatten(e)}" };
        }
        using (response)
        {
            if ((int)response.StatusCode != 200)
                return new UpdateGraph { Error = $"error response from update graph url {url}: {(int)response.StatusCode}" };
            var body = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
            try
            {
                using var doc = JsonDocument.Parse(body);
                var nodes = new List<(string, string)>();
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("nodes", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var node in list.EnumerateArray())
                    {
                        var version = node.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
                        var payload = node.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
                        nodes.Add((version, payload));
                    }
                }
                return new UpdateGraph { Nodes = nodes };
            }
            catch (JsonException e)
            {
                return new UpdateGraph { Error = $"unable to unmarshal body: {e.Message}" };
            }
        }
    }

    private static string Flatten(Exception e) => e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;

    public void Dispose() => _http.Dispose();
}
