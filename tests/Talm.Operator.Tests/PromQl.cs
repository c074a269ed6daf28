using System.Text.RegularExpressions;

namespace Talm.Operator.Tests;

/// <summary>
/// The metric names a PromQL expression reads: identifiers that are not functions, keywords, label
/// names (in selectors and in by/without/on/ignoring/group_* lists) or durations. Enough for the
/// expressions of our alerts; not a PromQL parser.
/// </summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
        { "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan" };

    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var text = Strings().Replace(expr, "\"\"");
        text = Selectors().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Groupings().Replace(text, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifiers().Matches(text))
        {
            var name = m.Groups["name"].Value;
            if (m.Groups["call"].Success || Keywords.Contains(name.ToLowerInvariant())) continue;
            names.Add(name);
        }
        return names;
    }

    /// <summary>Sample names a scrape serves: every family, with _bucket, _sum and _count for histograms and summaries.</summary>
    public static IReadOnlySet<string> Exported(string scrape)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in scrape.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts is ["#", "TYPE", var family, var type])
            {
                names.Add(family);
                if (type is "histogram" or "summary")
                    foreach (var suffix in new[] { "_bucket", "_sum", "_count" }) names.Add(family + suffix);
            }
            else if (parts.Length >= 2 && !line.StartsWith('#'))
            {
                names.Add(parts[0].Split('{')[0]);
            }
        }
        return names;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Selectors();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Groupings();

    [GeneratedRegex(@"(?<![\w.$])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifiers();
}
