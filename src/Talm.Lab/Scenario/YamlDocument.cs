using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Talm.Lab.Scenario;

/// <summary>Reads a single Kubernetes object written as YAML (or JSON) into JSON, typing plain scalars as YAML does.</summary>
public static class YamlDocument
{
    public static JsonObject ToJsonObject(string text)
    {
        // JSON keeps its own types.
        if (text.TrimStart().StartsWith('{'))
            return JsonNode.Parse(text) as JsonObject ?? throw new FormatException("The CGU file does not hold a single JSON object.");
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (stream.Documents.Count > 0 ? Convert(stream.Documents[0].RootNode) : null) as JsonObject
            ?? throw new FormatException("The CGU file does not hold a single object; write one ClusterGroupUpgrade as YAML or JSON.");
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Convert(kv.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(Convert)]),
        YamlScalarNode s => Scalar(s),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(v);
        if (v is "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) return JsonValue.Create(i);
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
