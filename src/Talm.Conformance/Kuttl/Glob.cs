using System.Text;
using System.Text.RegularExpressions;

namespace Talm.Conformance.Kuttl;

/// <summary>Go's filepath.Match on a single name (kuttl's ignoreFiles): <c>*</c>, <c>?</c> and <c>[...]</c>.</summary>
public static class Glob
{
    public static bool Matches(string pattern, string name)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0) throw new FormatException($"bad pattern {pattern}");
                    var set = pattern[(i + 1)..end];
                    sb.Append('[').Append(set.StartsWith('^') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return Regex.IsMatch(name, sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
