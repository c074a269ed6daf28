using System.Text;

namespace Talm.Conformance.Kuttl;

/// <summary>
/// Splits a kuttl <c>command</c> into argv the way kuttl does (the Go shlex lexer it uses): words split on
/// space, tab, CR and LF; <c>'...'</c> is literal; inside <c>"..."</c> a backslash takes the next character
/// literally (whatever it is); outside quotes a backslash does too; a <c>#</c> at the start of a word starts
/// a comment to the end of the line (inside a word it is an ordinary character). No variables, globs,
/// pipes or redirections: there is no shell.
/// </summary>
public static class Shlex
{
    private enum State { Start, Word, Escaping, EscapingQuoted, DoubleQuoted, SingleQuoted, Comment }

    public static IReadOnlyList<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var word = new StringBuilder();
        var state = State.Start;
        var isWord = false;
        foreach (var c in text)
        {
            switch (state)
            {
                case State.Start:
                    if (IsSpace(c)) break;
                    isWord = c != '#';
                    state = c switch
                    {
                        '"' => State.DoubleQuoted,
                        '\'' => State.SingleQuoted,
                        '\\' => State.Escaping,
                        '#' => State.Comment,
                        _ => State.Word,
                    };
                    if (state == State.Word) word.Append(c);
                    break;
                case State.Word:
                    if (IsSpace(c))
                    {
                        Emit();
                        break;
                    }
                    switch (c)
                    {
                        case '"': state = State.DoubleQuoted; break;
                        case '\'': state = State.SingleQuoted; break;
                        case '\\': state = State.Escaping; break;
                        default: word.Append(c); break;
                    }
                    break;
                case State.Escaping:
                    word.Append(c);
                    state = State.Word;
                    break;
                case State.EscapingQuoted:
                    word.Append(c);
                    state = State.DoubleQuoted;
                    break;
                case State.DoubleQuoted:
                    switch (c)
                    {
                        case '"': state = State.Word; break;
                        case '\\': state = State.EscapingQuoted; break;
                        default: word.Append(c); break;
                    }
                    break;
                case State.SingleQuoted:
                    if (c == '\'') state = State.Word;
                    else word.Append(c);
                    break;
                case State.Comment:
                    if (c == '\n')
                    {
                        word.Clear();
                        state = State.Start;
                    }
                    break;
            }
        }
        switch (state)
        {
            case State.Escaping or State.EscapingQuoted:
                throw new FormatException($"the command ends after an escape character: {text}");
            case State.DoubleQuoted or State.SingleQuoted:
                throw new FormatException($"the command has no closing quote: {text}");
            case State.Word:
                Emit();
                break;
        }
        return words;

        void Emit()
        {
            if (isWord) words.Add(word.ToString());
            word.Clear();
            state = State.Start;
        }
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n';
}
