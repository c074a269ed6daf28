using System.Text.Json.Nodes;
using Talm.KubeApi.Json;

namespace Talm.KubeApi.Semantics;

/// <summary>Field selectors on <c>metadata.name</c> and <c>metadata.namespace</c> (<c>=</c>, <c>==</c>, <c>!=</c>).</summary>
public sealed class FieldSelector
{
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal) { "metadata.name", "metadata.namespace" };
    private readonly IReadOnlyList<(string Field, bool Equal, string Value)> _terms;

    private FieldSelector(IReadOnlyList<(string, bool, string)> terms) => _terms = terms;

    public static FieldSelector Everything { get; } = new([]);

    /// <summary>The name an equality term pins, so a watch or list can skip everything else.</summary>
    public string? ExactName => _terms.FirstOrDefault(t => t.Field == "metadata.name" && t.Equal).Value;

    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var terms = new List<(string, bool, string)>();
        foreach (var raw in text.Split(','))
        {
            var clause = raw.Trim();
            var (at, len, equal) = clause.IndexOf("!=", StringComparison.Ordinal) is var ne and > 0 ? (ne, 2, false)
                : clause.IndexOf("==", StringComparison.Ordinal) is var ee and > 0 ? (ee, 2, true)
                : clause.IndexOf('=', StringComparison.Ordinal) is var e and > 0 ? (e, 1, true)
                : (-1, 0, false);
            if (at < 0) throw ApiException.BadRequest($"invalid field selector \"{text}\": expected field=value");
            var field = clause[..at].Trim();
            if (!Supported.Contains(field))
                throw ApiException.BadRequest($"field label not supported: {field} (only metadata.name and metadata.namespace are)");
            terms.Add((field, equal, clause[(at + len)..].Trim()));
        }
        return new FieldSelector(terms);
    }

    public bool Matches(JsonObject obj) =>
        _terms.All(t => (JsonUtil.PathText(obj, t.Field) ?? string.Empty) == t.Value == t.Equal);
}
