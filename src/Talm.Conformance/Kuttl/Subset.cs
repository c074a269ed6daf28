using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Talm.Conformance.Kuttl;

/// <summary>
/// kuttl's match of an expected object against an actual one: a map matches when each of its keys is present
/// and matches (other keys are ignored); a list matches only a list of the same length whose items match in the
/// same order; anything else must be equal and of the same type. The first difference comes back with its path,
/// in the order the expected document lists its keys.
/// </summary>
public static class Subset
{
    /// <summary>Null when <paramref name="expected"/> is a subset of <paramref name="actual"/>.</summary>
    public static string? Difference(JsonNode? expected, JsonNode? actual) => Compare(expected, actual, string.Empty);

    private static string? Compare(JsonNode? expected, JsonNode? actual, string path)
    {
        var ek = KindOf(expected);
        var ak = KindOf(actual);
        if (ek != ak) return $"{Where(path)}want {Show(expected)}, got {Show(actual)} ({ak} instead of {ek})";
        switch (expected)
        {
            case null:
                return null;
            case JsonObject eo:
                var ao = (JsonObject)actual!;
                foreach (var (key, value) in eo)
                {
                    var childPath = Child(path, key);
                    if (!ao.TryGetPropertyValue(key, out var actualValue))
                        return $"{childPath}: missing (want {Show(value)})";
                    if (Compare(value, actualValue, childPath) is { } d) return d;
                }
                return null;
            case JsonArray ea:
                var aa = (JsonArray)actual!;
                if (ea.Count != aa.Count)
                    return $"{Where(path)}want {Items(ea.Count)}, got {aa.Count}{ListHint(ea, aa)}";
                for (var i = 0; i < ea.Count; i++)
                {
                    if (Compare(ea[i], aa[i], $"{path}[{i}]") is { } d)
                        return d;
                }

                return null;
            default:
                return ScalarEquals((JsonValue)expected, (JsonValue)actual!) ? null : $"{Where(path)}want {Show(expected)}, got {Show(actual)}";
        }
    }

    private static string Where(string path) => path.Length == 0 ? string.Empty : path + ": ";

    private static string Items(int n) => n == 1 ? "1 item" : $"{n} items";

    private static string Child(string path, string key)
    {
        var plain = key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
        return plain
            ? path.Length == 0 ? key : $"{path}.{key}"
            : $"{path}[{JsonSerializer.Serialize(key)}]";
    }

    /// <summary>For lists of conditions, statuses and the like: what each side holds, by its identifying field.</summary>
    private static string ListHint(JsonArray expected, JsonArray actual)
    {
        foreach (var key in (string[])["type", "name", "clustername", "kind"])
        {
            if (Ids(expected, key) is { } want && Ids(actual, key) is { } got)
                return $" (want {key}s [{want}], got [{got}])";
        }
        return string.Empty;

        static string? Ids(JsonArray list, string key)
        {
            var ids = new List<string>();
            foreach (var item in list)
            {
                if (item is not JsonObject o || o[key] is not JsonValue v || !v.TryGetValue<string>(out var s)) return null;
                ids.Add(s);
            }
            return string.Join(' ', ids);
        }
    }

    private static string KindOf(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "map",
        JsonArray => "list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "bool",
            JsonValueKind.Null => "null",
            var k => k.ToString(),
        },
        _ => "unknown",
    };

    private static bool ScalarEquals(JsonValue expected, JsonValue actual)
    {
        if (expected.GetValueKind() == JsonValueKind.Number)
        {
            var e = expected.ToJsonString();
            var a = actual.ToJsonString();
            if (decimal.TryParse(e, NumberStyles.Float, CultureInfo.InvariantCulture, out var ed)
                && decimal.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var ad))
            {
                return ed == ad;
            }

            return double.Parse(e, CultureInfo.InvariantCulture).Equals(double.Parse(a, CultureInfo.InvariantCulture));
        }
        return JsonNode.DeepEquals(expected, actual);
    }

    /// <summary>A value as it reads in a message: JSON, shortened when long.</summary>
    public static string Show(JsonNode? node)
    {
        var text = node is null ? "null" : node.ToJsonString(ShowOptions);
        if (text.Length <= 160) return text;
        var sb = new StringBuilder(text, 0, 150, 160);
        return sb.Append("…").ToString();
    }

    private static readonly JsonSerializerOptions ShowOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
