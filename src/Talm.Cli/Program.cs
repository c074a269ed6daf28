using System.CommandLine;
using Talm.Cli.Commands;

namespace Talm.Cli;

public static class Program
{
    /// <summary>The program's name: in <c>--version</c>, completion scripts and what a backup saves in its <c>bin/</c>.</summary>
    public const string Name = "talm";

    public static async Task<int> Main(string[] args)
    {
        CommandLineApp.PrepareTerminal(args);
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
    public static Task<int> InvokeAsync(ParseResult parse, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parse);
        // Interrupted, `kubectl talm preflight` still removes what it made on the clusters: it gets the time that takes.
        if (parse.CommandResult.Command.Name == KubectlPreflightCommand.Name)
            parse.InvocationConfiguration.ProcessTerminationTimeout = KubectlPreflightCommand.InterruptGrace;
        return CommandLineApp.InvokeAsync(parse, cancellationToken);
    }

    /// <summary>The whole command tree; each group lives in its own file under Commands/ (the spoke agent's in Talm.Cli.Commands).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "talm: pre-upgrade backup and recovery for fleets of single-node OpenShift clusters, " +
            "driven by ClusterGroupUpgrade resources on a hub. The spoke agent alone is also built as talm-recovery.");
        root.Subcommands.Add(LabCommand.Build());
        RecoveryCommand.Build(root, Name);
        root.Subcommands.Add(OperatorCommand.Build());
        root.Subcommands.Add(KubectlCommand.Build());
        return CommandLineApp.AddCommon(root, Name);
    }
}
