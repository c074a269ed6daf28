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

    private object? _typed;

    /// <summary>The label RHACM puts on a policy it replicated into a cluster namespace.</summary>
    public const string RootPolicyLabel = "policy.open-cluster-management.io/root-policy";

    /// <summary>
    /// This object in the given shape, always without <c>metadata.managedFields</c> (often larger than
    /// the spec on a real API server). Returns this object when there is nothing to drop.
    /// </summary>
    public KubeObject Trimmed(CacheShape shape)
    {
        var hasManagedFields = Json.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("managedFields", out _);
        var summary = shape == CacheShape.ReplicaSummary && Label(RootPolicyLabel) is not null;
        var metadataOnly = shape == CacheShape.MetadataOnly;
        var hasMore = (metadataOnly || summary) && Json.EnumerateObject().Any(p => p.Name is not ("apiVersion" or "kind" or "metadata"));
        if (!hasManagedFields && !hasMore) return this;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in Json.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "apiVersion" or "kind":
                        property.WriteTo(writer);
                        break;
                    case "metadata" when hasManagedFields:
                        WriteOnly(writer, property, f => f != "managedFields");
                        break;
                    case "metadata":
                        property.WriteTo(writer);
                        break;
                    case "spec" when summary:
                        // The templates are the root's, kept once; but a copy whose hub templates RHACM could
                        // not resolve still holds "{{hub", and the reference refuses such a policy.
                        var unresolved = property.Value.ValueKind == JsonValueKind.Object &&
                            property.Value.TryGetProperty("policy-templates", out var templates) &&
                            templates.GetRawText().Contains("{{hub", StringComparison.Ordinal);
                        WriteOnly(writer, property, f => f == "remediationAction" || (unresolved && f == "policy-templates"));
                        break;
                    case "status" when summary:
                        WriteOnly(writer, property, f => f == "compliant");
                        break;
                    default:
                        if (!metadataOnly && !summary) property.WriteTo(writer);
                        break;
                }
            }
            writer.WriteEndObject();
        }
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return this with { Json = doc.RootElement.Clone() };
    }

    private static void WriteOnly(Utf8JsonWriter writer, JsonProperty property, Func<string, bool> keep)
    {
        if (property.Value.ValueKind != JsonValueKind.Object)
        {
            property.WriteTo(writer);
            return;
        }
        writer.WritePropertyName(property.Name);
        writer.WriteStartObject();
        foreach (var field in property.Value.EnumerateObject().Where(f => keep(f.Name))) field.WriteTo(writer);
        writer.WriteEndObject();
    }

    /// <summary>The object as a model type, deserialized once per object version.</summary>
    public T As<T>(JsonSerializerOptions options) where T : class
    {
        if (Volatile.Read(ref _typed) is T typed) return typed;
        typed = Json.Deserialize<T>(options) ?? throw new FormatException($"{Key} is not a {typeof(T).Name}");
        Volatile.Write(ref _typed, typed);
        return typed;
    }

    /// <summary>
    /// Whether this version is older than <paramref name="other"/>. Resource versions are opaque
    /// to clients, but both the API server and the embedded one use increasing integers; anything
    /// else compares as "not older" so the newest write wins.
    /// </summary>
    public bool IsOlderThan(KubeObject other) =>
        long.TryParse(ResourceVersion, out var mine) && long.TryParse(other.ResourceVersion, out var theirs) && mine < theirs;

    public string? Label(string key) =>
        Json.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("labels", out var labels) &&
        labels.ValueKind == JsonValueKind.Object && labels.TryGetProperty(key, out var value)
            ? value.GetString()
            : null;
}
