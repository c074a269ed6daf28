namespace Talm.KubeApi.Semantics;

/// <summary>A parsed Kubernetes label selector: <c>a=b, c!=d, e in (f,g), h notin (i), j, !k</c>.</summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r.Matches(labels));

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var requirements = new List<Requirement>();
        foreach (var clause in SplitTopLevel(text))
        {
            requirements.Add(ParseClause(clause.Trim(), text));
        }
        return new LabelSelector(requirements);
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static Requirement ParseClause(string clause, string whole)
    {
        if (clause.Length == 0) throw Bad(whole);
        if (clause[0] == '!') return new Requirement(Key(clause[1..], whole), Op.NotExists, new HashSet<string>());
        foreach (var (token, op) in new[] { (" notin ", Op.NotIn), (" in ", Op.In) })
        {
            var at = clause.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var rest = clause[(at + token.Length)..].Trim();
                if (!rest.StartsWith('(') || !rest.EndsWith(')')) throw Bad(whole);
                var values = rest[1..^1].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToHashSet(StringComparer.Ordinal);
                return new Requirement(Key(clause[..at], whole), op, values);
            }
        }
        foreach (var (token, op) in new[] { ("!=", Op.NotEquals), ("==", Op.Equals), ("=", Op.Equals) })
        {
            var at = clause.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var value = clause[(at + token.Length)..].Trim();
                return new Requirement(Key(clause[..at], whole), op, new HashSet<string>(StringComparer.Ordinal) { value });
            }
        }
        return new Requirement(Key(clause, whole), Op.Exists, new HashSet<string>());
    }

    private static string Key(string key, string whole)
    {
        key = key.Trim();
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '=' or '!' or ','))
            throw Bad(whole);
        return key;
    }

    private static ApiException Bad(string whole) =>
        ApiException.BadRequest($"unable to parse requirement in label selector \"{whole}\"");

    private enum Op { Equals, NotEquals, In, NotIn, Exists, NotExists }

    private sealed record Requirement(string Key, Op Op, IReadOnlySet<string> Values)
    {
        public bool Matches(IReadOnlyDictionary<string, string> labels)
        {
            var has = labels.TryGetValue(Key, out var value);
            return Op switch
            {
                Op.Equals or Op.In => has && Values.Contains(value!),
                Op.NotEquals or Op.NotIn => !has || !Values.Contains(value!),
                Op.Exists => has,
                Op.NotExists => !has,
                _ => false,
            };
        }
    }
}
