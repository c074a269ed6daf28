using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Talm.Bundle;

/// <summary>
/// JSON nodes as block-style YAML, deterministic (keys in their order), strings plain when YAML
/// would read them back as the same string, literal blocks for text with line breaks, else
/// double-quoted.
/// </summary>
public static partial class YamlWriter
{
    public static string Write(JsonNode? node)
    {
        var text = new StringBuilder();
        WriteValue(text, node, 0, inList: false);
        return text.ToString();
    }

    private static void WriteValue(StringBuilder text, JsonNode? node, int indent, bool inList)
    {
        switch (node)
        {
            case JsonObject { Count: > 0 } map:
                var first = true;
                foreach (var (key, value) in map)
                {
                    if (!(first && inList)) text.Append(' ', indent);
                    first = false;
                    text.Append(Scalar(key)).Append(':');
                    WriteChild(text, value, indent);
                }
                break;
            case JsonArray { Count: > 0 } list:
                var firstItem = true;
                foreach (var item in list)
                {
                    if (!(firstItem && inList)) text.Append(' ', indent);
                    firstItem = false;
                    text.Append("- ");
                    if (item is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
                    {
                        WriteValue(text, item, indent + 2, inList: true);
                    }
                    else
                    {
                        text.Append(Inline(item, indent + 2)).Append('\n');
                    }
                }
                break;
            default:
                text.Append(Inline(node, indent)).Append('\n');
                break;
        }
    }

    private static void WriteChild(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 }:
                text.Append('\n');
                WriteValue(text, value, indent + 2, inList: false);
                break;
            case JsonArray { Count: > 0 }:
                // Lists sit at their key's indentation, as kubectl and operator-sdk write them.
                text.Append('\n');
                WriteValue(text, value, indent, inList: false);
                break;
            default:
                text.Append(' ').Append(Inline(value, indent + 2)).Append('\n');
                break;
        }
    }

    private static string Inline(JsonNode? node, int indent) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Text(v.GetValue<string>(), indent),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "true" : "false",
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    private static string Text(string value, int indent)
    {
        if (value.Contains('\n') && !value.Split('\n').Any(l => l.EndsWith(' ') || l.Contains('\t')) && !value.StartsWith(' '))
        {
            var chomp = value.EndsWith('\n') ? "|" : "|-";
            var pad = new string(' ', indent);
            var lines = value.TrimEnd('\n').Split('\n').Select(l => l.Length == 0 ? "" : pad + l);
            return chomp + "\n" + string.Join("\n", lines);
        }
        return Scalar(value);
    }

    private static string Scalar(string value) => IsPlain(value) ? value : JsonSerializer.Serialize(value, Quoting);

    private static readonly JsonSerializerOptions Quoting = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static bool IsPlain(string value) =>
        value.Length > 0 && PlainText().IsMatch(value) && !value.Contains(": ", StringComparison.Ordinal) && !value.Contains(" #", StringComparison.Ordinal)
        && !value.EndsWith(":", StringComparison.Ordinal) && !value.EndsWith(" ", StringComparison.Ordinal) && !Reserved.Contains(value.ToLowerInvariant())
        && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && !value.StartsWith("0x", StringComparison.OrdinalIgnoreCase);

    private static readonly HashSet<string> Reserved = ["true", "false", "null", "~", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", ".nan"];

    [GeneratedRegex(@"^[A-Za-z0-9_/.$<(][A-Za-z0-9_/.:@, ()=+<>\-$;'""`!?%*&\[\]{}]*$")]
    private static partial Regex PlainText();
}
