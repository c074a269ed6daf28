using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Talm.KubeApi.Json;

/// <summary>Small helpers over <see cref="JsonNode"/> used everywhere objects are read or changed.</summary>
public static class JsonUtil
{
    /// <summary>
    /// The deepest nesting of objects and arrays an object may have (<c>{}</c> is 1): request bodies are read
    /// with this limit and nothing deeper is stored, so whatever was accepted can be written and read back
    /// (the data directory's records hold an object one level down, see <c>WriteAheadLog</c>).
    /// </summary>
    public const int MaxDepth = Api.Json.YamlJson.MaxDepth;

    /// <summary>Room for what responses wrap around an object: a list's items, a watch event, a Table row.</summary>
    private const int ResponseNesting = 8;

    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = MaxDepth + ResponseNesting,
    };

    /// <summary>How request bodies are read.</summary>
    public static readonly JsonDocumentOptions BodyOptions = new() { MaxDepth = MaxDepth };

    /// <summary>The nesting depth of a node (a scalar is 0, <c>{}</c> 1), without recursion.</summary>
    public static int Depth(JsonNode? node)
    {
        if (node is not (JsonObject or JsonArray)) return 0;
        var deepest = 0;
        var pending = new Stack<(JsonNode Node, int Depth)>();
        pending.Push((node, 1));
        while (pending.TryPop(out var item))
        {
            deepest = Math.Max(deepest, item.Depth);
            IEnumerable<JsonNode?> children = item.Node is JsonObject o ? o.Select(p => p.Value) : (JsonArray)item.Node;
            foreach (var child in children)
            {
                if (child is JsonObject or JsonArray) pending.Push((child, item.Depth + 1));
            }
        }
        return deepest;
    }

    /// <summary>A body as JSON within <see cref="MaxDepth"/>, or a 400 saying what is wrong with it.</summary>
    public static JsonNode? ParseBody(ReadOnlySpan<byte> utf8, string what)
    {
        try
        {
            return JsonNode.Parse(utf8, documentOptions: BodyOptions);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"{what} is not valid JSON: {e.Message}");
        }
    }

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

    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8) =>
        ParseBody(utf8, "the request body") as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");

    /// <summary>Puts apiVersion, kind and metadata first, as Kubernetes serializes objects.</summary>
    public static JsonObject Canonical(JsonObject obj)
    {
        var pairs = obj.ToList();
        obj.Clear();
        var result = new JsonObject();
        foreach (var key in new[] { "apiVersion", "kind", "metadata" })
        {
            var pair = pairs.FirstOrDefault(p => p.Key == key);
            if (pair.Key is not null) result[key] = pair.Value;
        }
        foreach (var (key, value) in pairs)
        {
            if (key is not "apiVersion" and not "kind" and not "metadata") result[key] = value;
        }
        return result;
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
