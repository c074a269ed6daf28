using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Talm.Api.Json;

/// <summary>Reads YAML (e.g. object-templates-raw) into JSON nodes. Plain scalars become numbers or booleans when they look like one.</summary>
public static class YamlJson
{
    /// <summary>Parses the first YAML document; null for empty input.</summary>
    public static JsonNode? Parse(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
            stream.Load(reader);
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    /// <summary>Like <see cref="Parse"/>, but null when the text is not valid YAML.</summary>
    public static JsonNode? TryParse(string yaml)
    {
        try
        {
            return Parse(yaml);
        }
        catch (YamlDotNet.Core.YamlException)
        {
            return null;
        }
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => ConvertMap(map),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(Convert)]),
        YamlScalarNode scalar => ConvertScalar(scalar),
        _ => null,
    };

    private static JsonObject ConvertMap(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
            obj[((YamlScalarNode)key).Value ?? ""] = Convert(value);
        return obj;
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value;
        if (scalar.Style is not YamlDotNet.Core.ScalarStyle.Plain)
            return JsonValue.Create(text);
        switch (text)
        {
            case null or "" or "~" or "null":
                return null;
            case "true":
                return JsonValue.Create(true);
            case "false":
                return JsonValue.Create(false);
        }
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        return JsonValue.Create(text);
    }
}
