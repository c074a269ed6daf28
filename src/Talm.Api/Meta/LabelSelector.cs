namespace Talm.Api.Meta;

/// <summary>
/// A Kubernetes label selector (matchLabels AND matchExpressions), as objects carry it and, through
/// <see cref="Parse"/>, as a <c>labelSelector</c> query parameter writes it. The one selector of talm.
/// </summary>
public sealed record LabelSelector
{
    public IReadOnlyDictionary<string, string>? MatchLabels { get; init; }
    public IReadOnlyList<LabelSelectorRequirement>? MatchExpressions { get; init; }

    /// <summary>Selects everything.</summary>
    public static LabelSelector Everything { get; } = new();

    /// <summary>True when every matchLabels entry and every expression holds for <paramref name="labels"/>.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        if (MatchLabels is not null)
        {
            foreach (var (key, value) in MatchLabels)
            {
                if (labels is null || !labels.TryGetValue(key, out var actual) || actual != value)
                    return false;
            }
        }
        if (MatchExpressions is not null)
        {
            foreach (var requirement in MatchExpressions)
            {
                if (!requirement.Matches(labels))
                    return false;
            }
        }
        return true;
    }

    /// <summary>An empty selector would select every cluster; Kubernetes treats it so, and so do we.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEmpty => (MatchLabels is null || MatchLabels.Count == 0) && (MatchExpressions is null || MatchExpressions.Count == 0);

    /// <summary>
    /// Reads the text form <c>a=b, c!=d, e in (f,g), h notin (i), j, !k</c>: <c>=</c>/<c>==</c> become <c>In</c>,
    /// <c>!=</c> <c>NotIn</c>, a bare key <c>Exists</c>, <c>!key</c> <c>DoesNotExist</c>. Empty text selects everything.
    /// </summary>
    /// <exception cref="FormatException">A clause is not one of those forms (the message quotes the whole selector, as Kubernetes does).</exception>
    public static LabelSelector Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? Everything : new LabelSelector { MatchExpressions = [.. LabelSelectorText.Clauses(text).Select(c => LabelSelectorText.Requirement(c.Trim(), text))] };
}

public sealed record LabelSelectorRequirement
{
    public string Key { get; init; } = "";
    public string Operator { get; init; } = "";
    public IReadOnlyList<string>? Values { get; init; }

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        string? actual = null;
        var has = labels is not null && labels.TryGetValue(Key, out actual);
        return Operator switch
        {
            "In" => has && Values is not null && Values.Contains(actual!),
            "NotIn" => !has || Values is null || !Values.Contains(actual!),
            "Exists" => has,
            "DoesNotExist" => !has,
            _ => false,
        };
    }
}
