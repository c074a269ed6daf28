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

        if (InvokedAsKubectlPlugin())
        {
            // `kubectl talm status CGU` runs kubectl-talm (a link to this program) with `status CGU`.
            args = [KubectlCommand.Name, .. args];
        }

        var root = BuildRoot();
        return await InvokeAsync(root.Parse(args)).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether this process was started under the kubectl plugin's name. argv[0] as executed (a link keeps its
    /// own name there, where the process' path is the link's target).
    /// </summary>
    private static bool InvokedAsKubectlPlugin()
    {
        string? first = null;
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            var end = Array.IndexOf(cmdline, (byte)0);
            first = System.Text.Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        first ??= Environment.GetCommandLineArgs().FirstOrDefault();
        return Path.GetFileName(first) == KubectlCommand.PluginName;
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
        root.Subcommands.Add(KubectlCommand.Build());
        return root;
    }
}
