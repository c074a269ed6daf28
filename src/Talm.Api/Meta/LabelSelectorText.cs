namespace Talm.Api.Meta;

/// <summary>The text form of a label selector, clause by clause (<see cref="LabelSelector.Parse"/>).</summary>
internal static class LabelSelectorText
{
    /// <summary>Splits at the commas outside parentheses.</summary>
    public static IEnumerable<string> Clauses(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    public static LabelSelectorRequirement Requirement(string clause, string whole)
    {
        if (clause.Length == 0)
            throw Bad(whole);
        if (clause[0] == '!')
            return new LabelSelectorRequirement { Key = Key(clause[1..], whole), Operator = "DoesNotExist" };
        foreach (var (token, op) in new[] { (" notin ", "NotIn"), (" in ", "In") })
        {
            var at = clause.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var rest = clause[(at + token.Length)..].Trim();
                if (!rest.StartsWith('(') || !rest.EndsWith(')'))
                    throw Bad(whole);
                var values = rest[1..^1].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
                return new LabelSelectorRequirement { Key = Key(clause[..at], whole), Operator = op, Values = values };
            }
        }
        foreach (var (token, op) in new[] { ("!=", "NotIn"), ("==", "In"), ("=", "In") })
        {
            var at = clause.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
                return new LabelSelectorRequirement { Key = Key(clause[..at], whole), Operator = op, Values = [clause[(at + token.Length)..].Trim()] };
        }
        return new LabelSelectorRequirement { Key = Key(clause, whole), Operator = "Exists" };
    }

    private static string Key(string key, string whole)
    {
        key = key.Trim();
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '=' or '!' or ','))
            throw Bad(whole);
        return key;
    }

    private static FormatException Bad(string whole) => new($"unable to parse requirement in label selector \"{whole}\"");
}
