using System.Text.Json;

namespace Talm.Operator.Kube;

/// <summary>
/// One object as the API server last sent it. The JSON is kept whole and immutable so the cache
/// can hand it out to concurrent readers; typed views are made when a snapshot is built.
/// </summary>
public sealed record KubeObject(string? Namespace, string Name, string ResourceVersion, JsonElement Json)
{
    public string Key => Namespace is null ? Name : $"{Namespace}/{Name}";

    public static KubeObject FromJson(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("metadata", out var meta))
            throw new FormatException("object without metadata");
        return new KubeObject(
            meta.TryGetProperty("namespace", out var ns) && ns.ValueKind == JsonValueKind.String && ns.GetString() is { Length: > 0 } n ? n : null,
            meta.GetProperty("name").GetString() ?? throw new FormatException("object without metadata.name"),
            meta.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "" : "",
            json.Clone());
    }

    public string? Label(string key) =>
        Json.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("labels", out var labels) &&
        labels.ValueKind == JsonValueKind.Object && labels.TryGetProperty(key, out var value)
            ? value.GetString()
            : null;
}
