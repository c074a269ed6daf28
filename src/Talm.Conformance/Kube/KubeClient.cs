using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Kube;

/// <summary>A resource type as discovery lists it: where its objects live and whether they are namespaced.</summary>
public sealed record ResourceInfo(string ApiVersion, string Kind, string Plural, bool Namespaced)
{
    public string Path(string? ns, string? name = null)
    {
        var root = ApiVersion.Contains('/', StringComparison.Ordinal) ? $"/apis/{ApiVersion}" : $"/api/{ApiVersion}";
        var scope = Namespaced && !string.IsNullOrEmpty(ns) ? $"/namespaces/{Uri.EscapeDataString(ns)}" : string.Empty;
        var item = name is null ? string.Empty : "/" + Uri.EscapeDataString(name);
        return $"{root}{scope}/{Plural}{item}";
    }
}

/// <summary>Thrown when the API server answers with something other than success or a 404 where one is expected.</summary>
public sealed class KubeApiException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}

/// <summary>
/// Plain JSON over HTTP to the hub, as kuttl's unstructured client does: discovery (kind to resource, and
/// whether it is namespaced), get, list by labels, create, merge patch and delete.
/// </summary>
public sealed class KubeClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, IReadOnlyList<ResourceInfo>> _discovery = new(StringComparer.Ordinal);

    public KubeClient(Uri server)
    {
        _http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public static KubeClient FromKubeconfig(string kubeconfig) => new(Kubeconfig.ServerOf(kubeconfig));

    /// <summary>The resource for an apiVersion and kind (kind compared without case, as kuttl does), or null.</summary>
    public async Task<ResourceInfo?> ResolveAsync(string apiVersion, string kind, CancellationToken ct)
    {
        // A miss asks again: a CRD created a moment ago adds kinds.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (attempt == 1 || !_discovery.TryGetValue(apiVersion, out var resources))
                _discovery[apiVersion] = resources = await DiscoverAsync(apiVersion, ct);
            var hit = resources.FirstOrDefault(r => string.Equals(r.Kind, kind, StringComparison.OrdinalIgnoreCase));
            if (hit is not null) return hit;
        }
        return null;
    }

    private async Task<IReadOnlyList<ResourceInfo>> DiscoverAsync(string apiVersion, CancellationToken ct)
    {
        var path = apiVersion.Contains('/', StringComparison.Ordinal) ? $"/apis/{apiVersion}" : $"/api/{apiVersion}";
        using var response = await _http.GetAsync(path, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return [];
        var list = await ReadObjectAsync(response, $"GET {path}", ct);
        var result = new List<ResourceInfo>();
        if (list["resources"] is JsonArray resources)
        {
            foreach (var r in resources.OfType<JsonObject>())
            {
                var name = (string?)r["name"];
                var kind = (string?)r["kind"];
                if (name is null || kind is null || name.Contains('/', StringComparison.Ordinal)) continue;
                result.Add(new ResourceInfo(apiVersion, kind, name, (bool?)r["namespaced"] ?? false));
            }
        }
        return result;
    }

    public async Task<JsonObject?> GetAsync(ResourceInfo resource, string? ns, string name, CancellationToken ct)
    {
        var path = resource.Path(ns, name);
        using var response = await _http.GetAsync(path, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await ReadObjectAsync(response, $"GET {path}", ct);
    }

    public async Task<IReadOnlyList<JsonObject>> ListAsync(ResourceInfo resource, string? ns, IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        var path = resource.Path(ns);
        if (labels.Count > 0)
            path += "?labelSelector=" + Uri.EscapeDataString(string.Join(',', labels.Select(l => $"{l.Key}={l.Value}")));
        using var response = await _http.GetAsync(path, ct);
        var list = await ReadObjectAsync(response, $"GET {path}", ct);
        return list["items"] is JsonArray items ? items.OfType<JsonObject>().Select(i => (JsonObject)i.DeepClone()).ToList() : [];
    }

    public async Task CreateAsync(ResourceInfo resource, string? ns, JsonObject obj, CancellationToken ct)
    {
        var path = resource.Path(ns);
        using var content = new StringContent(obj.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(path, content, ct);
        await ReadObjectAsync(response, $"POST {path}", ct);
    }

    public async Task MergePatchAsync(ResourceInfo resource, string? ns, string name, JsonObject patch, CancellationToken ct)
    {
        var path = resource.Path(ns, name);
        using var content = new StringContent(patch.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/merge-patch+json");
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = content };
        using var response = await _http.SendAsync(request, ct);
        await ReadObjectAsync(response, $"PATCH {path}", ct);
    }

    /// <summary>False when it was not there.</summary>
    public async Task<bool> DeleteAsync(ResourceInfo resource, string? ns, string name, CancellationToken ct)
    {
        var path = resource.Path(ns, name);
        using var response = await _http.DeleteAsync(path, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await ReadObjectAsync(response, $"DELETE {path}", ct);
        return true;
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            var message = TryParse(body)?["message"]?.GetValue<string>() ?? body;
            throw new KubeApiException(response.StatusCode, $"{what}: {(int)response.StatusCode} {message}");
        }
        return TryParse(body) ?? throw new KubeApiException(response.StatusCode, $"{what}: the answer is not a JSON object");
    }

    private static JsonObject? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The server of a kubeconfig's current context (the lab's: plain HTTP on loopback, no credentials).</summary>
public static class Kubeconfig
{
    public static Uri ServerOf(string file)
    {
        var doc = KuttlYaml.ParseDocuments(File.ReadAllText(file)).FirstOrDefault() as JsonObject
            ?? throw new InvalidDataException($"{file}: not a kubeconfig");
        var current = (string?)doc["current-context"];
        var context = (doc["contexts"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(c => current is null || (string?)c["name"] == current)?["context"];
        var clusterName = (string?)context?["cluster"];
        var cluster = (doc["clusters"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(c => clusterName is null || (string?)c["name"] == clusterName)?["cluster"];
        var server = (string?)cluster?["server"] ?? throw new InvalidDataException($"{file}: no server for the current context");
        return new Uri(server);
    }
}
