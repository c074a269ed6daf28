using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Talm.Api.Json;

/// <summary>
/// The one YAML reader of talm: YAML documents become JSON nodes. Plain scalars are typed by the YAML 1.2
/// core schema (what Kubernetes' API server and policy templates mean) or, for kuttl files, by YAML 1.1 as the
/// Go library kuttl decodes with (<see cref="YamlSchema.Yaml11"/>); quoted scalars stay strings. Nesting is
/// bounded and aliases cannot blow a small text up into a huge tree, so the API server can read untrusted bodies.
/// </summary>
public static partial class YamlJson
{
    /// <summary>How deep a document may nest; the embedded API server holds JSON bodies to the same limit.</summary>
    public const int MaxDepth = 512;

    /// <summary>Every document of <paramref name="yaml"/>; an empty document is null.</summary>
    /// <exception cref="YamlJsonException">The text is not YAML, nests too deep, aliases excessively, or has a non-scalar key.</exception>
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml, YamlSchema schema = YamlSchema.Core12)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            // The event parser is not recursive; loading the tree is, so its depth is checked first.
            CheckNesting(yaml);
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new YamlJsonException(e.Message, e);
        }

        var reader = new Reader(schema, 1024 + yaml.Length);
        return [.. stream.Documents.Select(d => reader.Convert(d.RootNode, 1))];
    }

    /// <summary>The first document; null for empty input.</summary>
    /// <exception cref="YamlJsonException">As <see cref="ParseAll"/>.</exception>
    public static JsonNode? Parse(string yaml, YamlSchema schema = YamlSchema.Core12) => ParseAll(yaml, schema) is [var first, ..] ? first : null;

    /// <summary>Like <see cref="Parse"/>, but null when the text is not valid YAML.</summary>
    public static JsonNode? TryParse(string yaml)
    {
        try
        {
            return Parse(yaml);
        }
        catch (YamlJsonException)
        {
            return null;
        }
    }

    private static void CheckNesting(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case MappingStart or SequenceStart when ++depth > MaxDepth:
                    throw TooDeep();
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private static YamlJsonException TooDeep() => new($"it is nested deeper than {MaxDepth} levels");

    /// <summary>One conversion: its schema and how many JSON nodes it may still make (about the text's size).</summary>
    private sealed class Reader(YamlSchema schema, int budget)
    {
        public JsonNode? Convert(YamlNode node, int depth)
        {
            if (--budget < 0)
            {
                throw new YamlJsonException("document contains excessive aliasing");
            }

            // An alias can put a deep node inside another: the depth is checked on the result too.
            if (node is YamlMappingNode or YamlSequenceNode && depth > MaxDepth)
            {
                throw TooDeep();
            }

            return node switch
            {
                YamlMappingNode map => ConvertMap(map, depth),
                YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(c => Convert(c, depth + 1))]),
                YamlScalarNode scalar => Scalar(scalar, schema),
                _ => null,
            };
        }

        private JsonObject ConvertMap(YamlMappingNode map, int depth)
        {
            var obj = new JsonObject();
            foreach (var (k, v) in map.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? throw new YamlJsonException("mapping keys must be scalars");
                obj[key] = Convert(v, depth + 1);
            }

            return obj;
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar, YamlSchema schema)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (value is "true" or "True" or "TRUE" || (schema == YamlSchema.Yaml11 && value is "yes" or "Yes" or "YES" or "y" or "Y" or "on" or "On" or "ON"))
        {
            return JsonValue.Create(true);
        }

        if (value is "false" or "False" or "FALSE" || (schema == YamlSchema.Yaml11 && value is "no" or "No" or "NO" or "n" or "N" or "off" or "Off" or "OFF"))
        {
            return JsonValue.Create(false);
        }

        return (schema == YamlSchema.Yaml11 ? Yaml11Number(value.Replace("_", string.Empty, StringComparison.Ordinal)) : Core12Number(value)) ?? JsonValue.Create(value);
    }

    private static JsonNode? Core12Number(string value)
    {
        if (Core12Int().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        return Float().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : null;
    }

    private static JsonNode? Yaml11Number(string digits)
    {
        if (Yaml11Octal().IsMatch(digits))
        {
            return JsonValue.Create((digits.StartsWith('-') ? -1 : 1) * System.Convert.ToInt64(digits.TrimStart('-', '+'), 8));
        }

        if (Yaml11Hex().IsMatch(digits))
        {
            return JsonValue.Create(long.Parse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        }

        if (Yaml11Int().IsMatch(digits) && long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        return Float().IsMatch(digits) && double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : null;
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex Core12Int();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    [GeneratedRegex("^[-+]?0[0-7]+$")]
    private static partial Regex Yaml11Octal();

    [GeneratedRegex("^0x[0-9a-fA-F]+$")]
    private static partial Regex Yaml11Hex();

    [GeneratedRegex("^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex Yaml11Int();
}
