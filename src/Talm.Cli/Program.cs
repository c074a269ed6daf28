using System.CommandLine;
using Talm.Cli.Commands;

namespace Talm.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == SpokeBackupCommands.LaunchBackup)
        {
            // The backup Job runs with `tty: true`. On a terminal .NET's console switches the keypad to
            // application mode (it writes the terminfo keypad_xmit string, ESC[?1h ESC=) the first time it is
            // used; in a Job's log that is noise before the first line. A terminal type without that string
            // keeps the log to plain lines; this must happen before anything touches System.Console.
            Environment.SetEnvironmentVariable("TERM", "dumb");
        }

        var root = BuildRoot();
        return await InvokeAsync(root.Parse(args)).ConfigureAwait(false);
    }

    /// <summary>Runs a parsed command line; one the parser refused (unknown option, bad value) ends with 2 after its message.</summary>
    public static async Task<int> InvokeAsync(ParseResult parse, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var code = await parse.InvokeAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return parse.Errors.Count > 0 ? HubExitCodes.BadInput : code;
    }

    /// <summary>The whole command tree; each group lives in its own file under Commands/.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "talm: pre-upgrade backup and recovery for fleets of single-node OpenShift clusters, " +
            "driven by ClusterGroupUpgrade resources on a hub.");
        root.Subcommands.Add(LabCommand.Build());
        RecoveryCommand.Build(root);
        root.Subcommands.Add(OperatorCommand.Build());
        return root;
    }
}
