using System.CommandLine;
using System.CommandLine.Invocation;
using Talm.Api.Build;

namespace Talm.Cli.Commands;

/// <summary>
/// What both programs, <c>talm</c> (the whole product) and <c>talm-recovery</c> (the spoke agent alone), do around
/// their command tree, so the two behave the same: the terminal set-up for the backup Job, the exit code of a
/// refused command line, <c>--version</c> and <c>completion</c>.
/// </summary>
public static class CommandLineApp
{
    /// <summary>Runs before anything touches <see cref="Console"/>.</summary>
    public static void PrepareTerminal(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count > 0 && args[0] == SpokeBackupCommands.LaunchBackup)
        {
            // The backup Job runs with `tty: true`. On a terminal .NET's console switches the keypad to
            // application mode (it writes the terminfo keypad_xmit string, ESC[?1h ESC=) the first time it is
            // used; in a Job's log that is noise before the first line. A terminal type without that string
            // keeps the log to plain lines.
            Environment.SetEnvironmentVariable("TERM", "dumb");
        }
    }

    /// <summary>Runs a parsed command line; one the parser refused (unknown option, bad value) ends with 2 after its message.</summary>
    public static async Task<int> InvokeAsync(ParseResult parse, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var code = await parse.InvokeAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return parse.Errors.Count > 0 ? ExitCodes.BadInput : code;
    }

    /// <summary>Gives a root command what every talm program has: <c>--version</c> from the build, and <c>completion</c>.</summary>
    public static RootCommand AddCommon(RootCommand root, string program)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var help in root.Options.OfType<System.CommandLine.Help.HelpOption>())
        {
            // DOS-style spellings: noise in completions on the Linux hosts talm runs on.
            help.Aliases.Remove("/?");
            help.Aliases.Remove("/h");
        }

        foreach (var version in root.Options.OfType<VersionOption>())
        {
            version.Action = new PrintVersion(program);
        }

        root.Subcommands.Add(CompletionCommand.Build(program));
        return root;
    }

    /// <summary>The <c>--version</c> line: program, version from the git tag, commit (or why there is none).</summary>
    public static string VersionLine(string program) => $"{program} {BuildVersion.Current}";

    private sealed class PrintVersion(string program) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(VersionLine(program));
            return ExitCodes.Success;
        }
    }
}
