namespace Talm.Conformance.Kuttl;

/// <summary>
/// The argv kuttl runs for a <see cref="TestCommand"/>: <c>script</c> goes to <c>sh -c</c>; <c>command</c> is
/// expanded (<see cref="EnvExpand"/>), split (<see cref="Shlex"/>) and, when <c>namespaced</c>, gets
/// <c>--namespace NS</c> appended unless a flag parser that knows only -n/--namespace (and skips every other
/// flag together with the value that follows it, as kuttl's does) finds a non-empty namespace already.
/// </summary>
public static class CommandArgs
{
    public static IReadOnlyList<string> Build(TestCommand command, string ns, Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Command.Length > 0 && command.Script.Length > 0)
            throw new FormatException("command and script can not be set in the same configuration");
        if (command.Command.Length == 0 && command.Script.Length == 0)
            throw new FormatException("command or script must be set");
        if (command.Script.Length > 0 && command.Namespaced)
            throw new FormatException("script can not used 'namespaced', use the $NAMESPACE environment variable instead");
        if (command.Script.Length > 0) return ["sh", "-c", command.Script];

        var args = Shlex.Split(EnvExpand.Expand(command.Command, env)).ToList();
        if (args.Count == 0) throw new FormatException($"the command \"{command.Command}\" has no words");
        if (command.Namespaced && string.IsNullOrEmpty(NamespaceFlag(args)))
        {
            args.Add("--namespace");
            args.Add(ns);
        }
        return args;
    }

    /// <summary>The value of -n/--namespace in <paramref name="args"/> (the last one wins), or null.</summary>
    public static string? NamespaceFlag(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? found = null;
        var i = 0;
        while (i < args.Count)
        {
            var s = args[i++];
            if (s.Length < 2 || s[0] != '-') continue;
            if (s == "--") break;
            if (s[1] == '-')
            {
                var name = s[2..];
                if (name.Length == 0 || name[0] is '-' or '=') throw new FormatException($"bad flag syntax: {s}");
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                var flag = eq < 0 ? name : name[..eq];
                if (flag == "help") throw new FormatException("help requested");
                if (flag != "namespace")
                {
                    if (eq < 0) i = SkipUnknownValue(args, i);
                    continue;
                }
                if (eq >= 0) found = name[(eq + 1)..];
                else if (i < args.Count) found = args[i++];
                else throw new FormatException("flag needs an argument: --namespace");
                continue;
            }
            // A run of shorthands such as -vn: each one is parsed against the arguments after the run.
            var rest = i;
            var shorts = s[1..];
            while (shorts.Length > 0)
            {
                var c = shorts[0];
                var tail = shorts[1..];
                if (c == 'h') throw new FormatException("help requested");
                if (c != 'n')
                {
                    if (tail.Length > 1 && tail[0] == '=')
                    {
                        shorts = string.Empty;
                        continue;
                    }
                    rest = SkipUnknownValue(args, i);
                    shorts = tail;
                    continue;
                }
                if (tail.Length > 1 && tail[0] == '=')
                {
                    found = tail[1..];
                    shorts = string.Empty;
                }
                else if (tail.Length > 0)
                {
                    found = tail;
                    shorts = string.Empty;
                }
                else if (i < args.Count)
                {
                    found = args[i];
                    rest = i + 1;
                    shorts = string.Empty;
                }
                else
                {
                    throw new FormatException("flag needs an argument: 'n' in -n");
                }
            }
            i = rest;
        }
        return found;
    }

    // An unknown flag without "=value" takes the next argument as its value unless that looks like a flag.
    private static int SkipUnknownValue(IReadOnlyList<string> args, int i) =>
        i < args.Count && !(args[i].Length > 0 && args[i][0] == '-') ? i + 1 : i;
}
