using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Talm.KubeApi.Json;

/// <summary>Small helpers over <see cref="JsonNode"/> used everywhere objects are read or changed.</summary>
public static class JsonUtil
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m) return m;
        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string? Str(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>An integer whatever its backing (parsed JSON or a CLR int/long set in code).</summary>
    public static long? Long(JsonNode? node) =>
        node is JsonValue v && long.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign,
            System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : null;

    public static string? MetaStr(JsonObject obj, string key) => Str(obj["metadata"], key);

    public static byte[] Serialize(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, Options);

    public static string ToJsonString(JsonNode node) => node.ToJsonString(Options);

    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
        return node as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");
    }

    public static JsonObject Clone(JsonObject obj) => (JsonObject)obj.DeepClone();

    public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    /// <summary>Follows a dotted path (<c>metadata.name</c>) to a string/number/bool rendered as text.</summary>
    public static string? PathText(JsonObject obj, string dottedPath)
    {
        JsonNode? cur = obj;
        foreach (var part in dottedPath.Split('.'))
        {
            if (cur is not JsonObject o) return null;
            cur = o[part];
        }
        return Scalar(cur);
    }

    public static string? Scalar(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(Options),
    };

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"] is JsonObject m && m["labels"] is JsonObject labels)
        {
            foreach (var (k, v) in labels)
            {
                if (Scalar(v) is { } s) result[k] = s;
            }
        }
        return result;
    }
}
