using System.Globalization;
using System.Text.Json.Nodes;

namespace Talm.KubeApi.Semantics;

/// <summary>
/// The JSONPath subset printer columns use: <c>.a.b</c>, <c>[n]</c>, <c>[-1:]</c> (last element),
/// <c>[*]</c>, <c>[?(@.field=="value")]</c>; a path that does not resolve yields nothing, as in Kubernetes.
/// </summary>
public static class SimpleJsonPath
{
    public static IReadOnlyList<JsonNode?> Evaluate(JsonNode? root, string path)
    {
        var current = new List<JsonNode?> { root };
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}')) p = p[1..^1];
        if (p.StartsWith('$')) p = p[1..];
        var i = 0;
        while (i < p.Length && current.Count > 0)
        {
            if (p[i] == '.')
            {
                var end = i + 1;
                while (end < p.Length && p[end] is not '.' and not '[') end++;
                var name = p[(i + 1)..end];
                current = current.Select(n => n is JsonObject o && name.Length > 0 ? o[name] : null).Where(n => n is not null).ToList();
                i = end;
            }
            else if (p[i] == '[')
            {
                var end = p.IndexOf(']', i);
                if (end < 0) return [];
                var index = p[(i + 1)..end];
                current = current.SelectMany(n => Index(n as JsonArray, index)).ToList();
                i = end + 1;
            }
            else
            {
                return [];
            }
        }
        return current;
    }

    private static IEnumerable<JsonNode?> Index(JsonArray? array, string index)
    {
        if (array is null || array.Count == 0) return [];
        if (index == "*") return array;
        if (index.StartsWith("?(@.", StringComparison.Ordinal) && index.EndsWith(')'))
        {
            // Filter such as ?(@.type=="Ready"): keep the elements whose field equals the literal.
            var expr = index[4..^1];
            var eq = expr.IndexOf("==", StringComparison.Ordinal);
            if (eq < 0) return [];
            var field = expr[..eq].Trim();
            var literal = expr[(eq + 2)..].Trim().Trim('"', '\'');
            return array.Where(e => e is JsonObject o && Json.JsonUtil.Scalar(o[field]) == literal);
        }
        if (index.Contains(':', StringComparison.Ordinal))
        {
            var parts = index.Split(':');
            var start = parts[0].Length == 0 ? 0 : int.Parse(parts[0], CultureInfo.InvariantCulture);
            var stop = parts[1].Length == 0 ? array.Count : int.Parse(parts[1], CultureInfo.InvariantCulture);
            if (start < 0) start = Math.Max(0, array.Count + start);
            if (stop < 0) stop = array.Count + stop;
            stop = Math.Min(stop, array.Count);
            return start < stop ? array.Skip(start).Take(stop - start) : [];
        }
        var n = int.Parse(index, CultureInfo.InvariantCulture);
        if (n < 0) n += array.Count;
        return n >= 0 && n < array.Count ? [array[n]] : [];
    }
}
