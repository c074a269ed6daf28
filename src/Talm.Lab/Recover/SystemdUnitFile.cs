using System.Text;

namespace Talm.Lab.Recover;

/// <summary>
/// A systemd unit file read as systemd reads it, as far as the lab's simulated boot needs: sections of
/// <c>Key=value</c> lines (repeatable keys kept in order, comments and blank lines skipped, a trailing backslash
/// continuing a line), Exec lines split into words with systemd's quoting, <c>%%</c> and <c>$$</c> unescaped, and
/// the <c>-</c> prefix (failure ignored) recognised.
/// </summary>
public sealed class SystemdUnitFile
{
    private readonly List<(string Section, string Key, string Value)> _entries = [];

    public static SystemdUnitFile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var unit = new SystemdUnitFile();
        var section = "";
        var pending = new StringBuilder();
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (pending.Length == 0 && (line.Length == 0 || line[0] is '#' or ';'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }

            line = pending.Append(line).ToString();
            pending.Clear();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                unit._entries.Add((section, line[..eq].Trim(), line[(eq + 1)..].Trim()));
            }
        }

        return unit;
    }

    /// <summary>Every value of a key in a section, in order.</summary>
    public IReadOnlyList<string> All(string section, string key) =>
        _entries.Where(e => e.Section == section && e.Key == key).Select(e => e.Value).ToList();

    /// <summary>The last value of a key (later assignments win), or null.</summary>
    public string? Get(string section, string key) => All(section, key).LastOrDefault();

    /// <summary>Environment= assignments of [Service], in order.</summary>
    public IReadOnlyDictionary<string, string> Environment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in All("Service", "Environment"))
        {
            foreach (var word in Words(value, exec: false))
            {
                var eq = word.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    result[word[..eq]] = word[(eq + 1)..];
                }
            }
        }

        return result;
    }

    /// <summary>The commands of an Exec key (ExecStartPre, ExecStart, ...) of [Service].</summary>
    public IReadOnlyList<ExecCommand> Exec(string key) => All("Service", key).Where(v => v.Length > 0).Select(ExecCommand.Parse).ToList();

    /// <summary>A value split into words as systemd does: whitespace separates, "..." and '...' quote, a backslash escapes.</summary>
    public static IReadOnlyList<string> Words(string value, bool exec)
    {
        ArgumentNullException.ThrowIfNull(value);
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (quote is null && char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            if (c == '\\' && i + 1 < value.Length)
            {
                word.Append(value[++i]);
            }
            else if (quote is null && c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == quote)
            {
                quote = null;
            }
            else if (c == '%' && i + 1 < value.Length && value[i + 1] == '%')
            {
                word.Append('%');
                i++;
            }
            else if (exec && c == '$' && i + 1 < value.Length && value[i + 1] == '$')
            {
                word.Append('$');
                i++;
            }
            else
            {
                word.Append(c);
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}

/// <summary>One Exec line: the program, its arguments, and whether a failure is ignored (<c>-</c> prefix).</summary>
public sealed record ExecCommand(string Program, IReadOnlyList<string> Arguments, bool IgnoreFailure)
{
    public static ExecCommand Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var ignore = false;
        var i = 0;
        while (i < value.Length && value[i] is '-' or '@' or ':' or '+' or '!')
        {
            ignore |= value[i] == '-';
            i++;
        }

        var words = SystemdUnitFile.Words(value[i..], exec: true);
        if (words.Count == 0)
        {
            throw new FormatException($"an Exec line without a command: '{value}'");
        }

        return new ExecCommand(words[0], words.Skip(1).ToList(), ignore);
    }

    public override string ToString() => string.Join(' ', Arguments.Prepend(Program));
}
