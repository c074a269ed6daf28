using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Talm.KubeApi.Json;

/// <summary>
/// Turns YAML documents (apply-patch bodies, CRD files) into JSON nodes with YAML 1.2 core scalar typing,
/// within the depth a JSON body may have and without letting aliases multiply a small body into a huge one.
/// </summary>
public static partial class YamlJson
{
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            // The event parser is not recursive; loading the tree is, so its depth is checked first.
            CheckNesting(yaml);
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw ApiException.BadRequest($"the YAML body cannot be parsed: {e.Message}");
        }
        var budget = new Budget(1024 + yaml.Length);
        return stream.Documents.Select(d => Convert(d.RootNode, 1, budget)).ToList();
    }

    /// <summary>How many JSON nodes a document may become: about its own size, so aliases cannot blow it up.</summary>
    private sealed class Budget(int nodes)
    {
        public void Spend()
        {
            if (--nodes < 0) throw ApiException.BadRequest("the YAML body cannot be parsed: document contains excessive aliasing");
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
                case MappingStart or SequenceStart when ++depth > JsonUtil.MaxDepth:
                    throw TooDeep();
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private static ApiException TooDeep() => ApiException.BadRequest($"the YAML body cannot be parsed: it is nested deeper than {JsonUtil.MaxDepth} levels");

    public static JsonObject ParseObject(string yaml)
    {
        var docs = ParseAll(yaml);
        return docs.Count == 1 && docs[0] is JsonObject o
            ? o
            : throw ApiException.BadRequest("the YAML body must hold exactly one mapping");
    }

    private static JsonNode? Convert(YamlNode node, int depth, Budget budget)
    {
        budget.Spend();
        // An alias can put a deep node inside another: the depth is checked on the result too.
        if (node is YamlMappingNode or YamlSequenceNode && depth > JsonUtil.MaxDepth) throw TooDeep();
        return node switch
        {
            YamlMappingNode map => ConvertMap(map, depth, budget),
            YamlSequenceNode seq => new JsonArray(seq.Children.Select(c => Convert(c, depth + 1, budget)).ToArray()),
            YamlScalarNode scalar => ConvertScalar(scalar),
            _ => null,
        };
    }

    private static JsonObject ConvertMap(YamlMappingNode map, int depth, Budget budget)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? throw ApiException.BadRequest("YAML mapping keys must be scalars");
            obj[key] = Convert(v, depth + 1, budget);
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
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (IntPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
