using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Talm.Conformance.Overrides;

/// <summary>
/// A field inside an object, as an override names it: keys joined by dots, a list item as <c>[N]</c>, and a key
/// that holds dots or brackets in double quotes (<c>spec.kube.template.spec.activeDeadlineSeconds</c>,
/// <c>status.conditions[2].reason</c>, <c>metadata.annotations."ran.openshift.io/soak-seconds"</c>).
/// </summary>
public sealed class FieldPath
{
    private readonly IReadOnlyList<object> _segments;

    private FieldPath(string text, IReadOnlyList<object> segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }

    public override string ToString() => Text;

    public static FieldPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var segments = new List<object>();
        var i = 0;
        var expectKey = true;
        while (i < text.Length)
        {
            if (text[i] == '[')
            {
                var end = text.IndexOf(']', i);
                if (end < 0 || !int.TryParse(text.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    throw new FormatException($"field path \"{text}\": [N] must hold a list index");
                if (segments.Count == 0) throw new FormatException($"field path \"{text}\": starts with a list index");
                segments.Add(index);
                i = end + 1;
                expectKey = false;
                continue;
            }
            if (!expectKey)
            {
                if (text[i] != '.') throw new FormatException($"field path \"{text}\": expected . or [ at {i}");
                i++;
                expectKey = true;
                continue;
            }
            var key = new StringBuilder();
            if (text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                if (end < 0) throw new FormatException($"field path \"{text}\": an unclosed quote");
                key.Append(text, i + 1, end - i - 1);
                i = end + 1;
            }
            else
            {
                while (i < text.Length && text[i] is not ('.' or '[')) key.Append(text[i++]);
            }
            if (key.Length == 0) throw new FormatException($"field path \"{text}\": an empty key");
            segments.Add(key.ToString());
            expectKey = false;
        }
        if (segments.Count == 0 || expectKey) throw new FormatException($"field path \"{text}\": incomplete");
        return new FieldPath(text, segments);
    }

    /// <summary>Removes the field; false when <paramref name="root"/> does not have it.</summary>
    public bool Remove(JsonObject root)
    {
        if (Parent(root) is not { } parent) return false;
        return _segments[^1] switch
        {
            string key when parent is JsonObject o => o.Remove(key),
            int index when parent is JsonArray a && index < a.Count => RemoveAt(a, index),
            _ => false,
        };
    }

    /// <summary>Replaces the field's value with a copy of <paramref name="value"/>; false when <paramref name="root"/> does not have the field.</summary>
    public bool Replace(JsonObject root, JsonNode? value)
    {
        if (Parent(root) is not { } parent) return false;
        switch (_segments[^1])
        {
            case string key when parent is JsonObject o && o.ContainsKey(key):
                o[key] = value?.DeepClone();
                return true;
            case int index when parent is JsonArray a && index < a.Count:
                a[index] = value?.DeepClone();
                return true;
            default:
                return false;
        }
    }

    private static bool RemoveAt(JsonArray a, int index)
    {
        a.RemoveAt(index);
        return true;
    }

    private JsonNode? Parent(JsonObject root)
    {
        JsonNode? node = root;
        foreach (var segment in _segments.Take(_segments.Count - 1))
        {
            node = segment switch
            {
                string key when node is JsonObject o => o[key],
                int index when node is JsonArray a && index < a.Count => a[index],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }
}
