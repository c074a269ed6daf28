using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace Talm.Lab.Scenario;

/// <summary>Reads a single Kubernetes object written as YAML (or JSON, which is YAML) into JSON.</summary>
public static class YamlDocument
{
    public static JsonObject ToJsonObject(string text)
    {
        // JSON keeps its own types; YAML scalars are typed by their look (500 -> int, true -> bool).
        if (text.TrimStart().StartsWith('{'))
            return JsonNode.Parse(text) as JsonObject ?? throw new FormatException("The CGU file does not hold a single JSON object.");
        var parsed = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build().Deserialize<object?>(text);
        return Convert(parsed) as JsonObject
            ?? throw new FormatException("The CGU file does not hold a single object; write one ClusterGroupUpgrade as YAML or JSON.");
    }

    private static JsonNode? Convert(object? value) => value switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(kv =>
            KeyValuePair.Create(System.Convert.ToString(kv.Key, CultureInfo.InvariantCulture) ?? "", Convert(kv.Value)))),
        IList<object?> list => new JsonArray([.. list.Select(Convert)]),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        _ => JsonValue.Create(System.Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}
