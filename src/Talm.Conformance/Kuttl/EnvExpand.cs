using System.Text;

namespace Talm.Conformance.Kuttl;

/// <summary>
/// kuttl expands <c>$NAME</c> and <c>${NAME}</c> in a command before splitting it (Go's os.Expand over the
/// process environment plus NAMESPACE, KUBECONFIG and PATH); unknown names become empty, <c>$$</c> is a
/// dollar, a <c>$</c> followed by nothing that names a variable stays as it is.
/// </summary>
public static class EnvExpand
{
    public static string Expand(string text, Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(lookup);
        if (!text.Contains('$', StringComparison.Ordinal)) return text;
        var sb = new StringBuilder(text.Length);
        var i = 0;
        for (var j = 0; j < text.Length; j++)
        {
            if (text[j] != '$' || j + 1 >= text.Length) continue;
            sb.Append(text, i, j - i);
            var (name, width) = ShellName(text.AsSpan(j + 1));
            if (name.Length == 0 && width > 0)
            {
                // Bad syntax such as "${}": Go drops it.
            }
            else if (name.Length == 0)
            {
                sb.Append('$');
            }
            else
            {
                sb.Append(name == "$" ? "$" : lookup(name) ?? string.Empty);
            }
            j += width;
            i = j + 1;
        }
        sb.Append(text, i, text.Length - i);
        return sb.ToString();
    }

    private static (string Name, int Width) ShellName(ReadOnlySpan<char> s)
    {
        if (s[0] == '{')
        {
            if (s.Length > 2 && IsSpecial(s[1]) && s[2] == '}') return (s[1].ToString(), 3);
            for (var i = 1; i < s.Length; i++)
            {
                if (s[i] != '}') continue;
                return i == 1 ? (string.Empty, 2) : (s[1..i].ToString(), i + 1);
            }
            return (string.Empty, 1);
        }
        if (IsSpecial(s[0])) return (s[0].ToString(), 1);
        var n = 0;
        while (n < s.Length && (char.IsAsciiLetterOrDigit(s[n]) || s[n] == '_')) n++;
        return (s[..n].ToString(), n);
    }

    private static bool IsSpecial(char c) => c is '*' or '#' or '$' or '@' or '!' or '?' or '-' or (>= '0' and <= '9');
}
