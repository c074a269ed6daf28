using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Talm.Conformance.Kuttl;

/// <summary>
/// Reads kuttl files the way kuttl does: every YAML document becomes a JSON object with the scalar typing of
/// YAML 1.1 (the Go YAML library kuttl decodes with: <c>yes</c>/<c>on</c> are booleans), and documents without
/// a <c>kind</c> (empty ones before a <c>---</c>, comment-only ones) are dropped.
/// </summary>
public static partial class KuttlYaml
{
    public static IReadOnlyList<JsonObject> ReadObjects(string file)
    {
        try
        {
            return ParseObjects(File.ReadAllText(file));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
    }

    public static IReadOnlyList<JsonObject> ParseObjects(string yaml)
    {
        var result = new List<JsonObject>();
        foreach (var doc in ParseDocuments(yaml))
        {
            if (doc is null) continue;
            if (doc is not JsonObject obj) throw new InvalidDataException("a document is not a mapping");
            if (obj["kind"] is JsonValue kind && kind.TryGetValue<string>(out var k) && k.Length > 0) result.Add(obj);
        }
        return result;
    }

    public static IReadOnlyList<JsonNode?> ParseDocuments(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"the YAML cannot be parsed: {e.Message}", e);
        }
        return stream.Documents.Select(d => Convert(d.RootNode)).ToList();
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => ConvertMap(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => ConvertScalar(scalar),
        _ => null,
    };

    private static JsonObject ConvertMap(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? throw new InvalidDataException("a mapping key is not a scalar");
            obj[key] = Convert(v);
        }
        return obj;
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style is not ScalarStyle.Plain) return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "y" or "Y" or "on" or "On" or "ON":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "n" or "N" or "off" or "Off" or "OFF":
                return JsonValue.Create(false);
        }
        var digits = value.Replace("_", string.Empty, StringComparison.Ordinal);
        if (OctalPattern().IsMatch(digits))
            return JsonValue.Create((digits.StartsWith('-') ? -1 : 1) * System.Convert.ToInt64(digits.TrimStart('-', '+'), 8));
        if (HexPattern().IsMatch(digits))
            return JsonValue.Create(long.Parse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        if (IntPattern().IsMatch(digits) && long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (FloatPattern().IsMatch(digits) && double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    [GeneratedRegex("^[-+]?0[0-7]+$")]
    private static partial Regex OctalPattern();

    [GeneratedRegex("^0x[0-9a-fA-F]+$")]
    private static partial Regex HexPattern();

    [GeneratedRegex("^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
