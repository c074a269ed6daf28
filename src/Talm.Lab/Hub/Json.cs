using System.Text.Json.Nodes;

namespace Talm.Lab.Hub;

/// <summary>Small accessors for Kubernetes objects held as JSON.</summary>
public static class Json
{
    public static string Name(JsonNode obj) => Str(obj, "metadata", "name") ?? "";

    public static string Namespace(JsonNode obj) => Str(obj, "metadata", "namespace") ?? "";

    public static string Uid(JsonNode obj) => Str(obj, "metadata", "uid") ?? "";

    public static string? Str(JsonNode? node, params string[] path)
    {
        var n = At(node, path);
        return n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    public static long? Long(JsonNode? node, params string[] path)
    {
        var n = At(node, path);
        if (n is not JsonValue v) return null;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<double>(out var d)) return (long)d;
        return null;
    }

    /// <summary>The node at <paramref name="path"/>: property names, and indexes into arrays ("0").</summary>
    public static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            switch (node)
            {
                case JsonObject o:
                    if (!o.TryGetPropertyValue(key, out node)) return null;
                    break;
                case JsonArray a when int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i):
                    if (i >= a.Count) return null;
                    node = a[i];
                    break;
                default:
                    return null;
            }
        }
        return node;
    }

    public static IReadOnlyDictionary<string, string> Labels(JsonNode obj)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (At(obj, "metadata", "labels") is JsonObject labels)
        {
            foreach (var (k, v) in labels)
                result[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : "";
        }
        return result;
    }

    public static IEnumerable<JsonNode> Items(JsonNode? array) =>
        array is JsonArray a ? a.Where(n => n is not null).Select(n => n!) : [];

    public static IReadOnlyList<string> Strings(JsonNode? array) =>
        Items(array).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "").ToList();

    /// <summary>
    /// The RFC 7386 merge patch that turns <paramref name="from"/> into <paramref name="to"/>: keys that
    /// disappeared become null, objects recurse, everything else (arrays too) is replaced whole.
    /// </summary>
    public static JsonObject MergePatch(JsonObject? from, JsonObject to)
    {
        var patch = new JsonObject();
        if (from is not null)
        {
            foreach (var (k, _) in from)
            {
                if (!to.ContainsKey(k)) patch[k] = null;
            }
        }
        foreach (var (k, v) in to)
        {
            JsonNode? old = null;
            var had = from is not null && from.TryGetPropertyValue(k, out old);
            if (had && JsonNode.DeepEquals(old, v)) continue;
            if (had && old is JsonObject oo && v is JsonObject vo)
                patch[k] = MergePatch(oo, vo);
            else
                patch[k] = v?.DeepClone();
        }
        return patch;
    }

    public static JsonObject Condition(string type, string status, string reason, string message, DateTimeOffset at) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["reason"] = reason,
        ["message"] = message,
        ["lastTransitionTime"] = Timestamp(at),
    };

    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
