using System.CommandLine;
using Talm.Cli.Commands;

namespace Talm.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);

        // A command line that does not parse prints its errors and usage, and is told apart from a failure.
        var code = await parse.InvokeAsync().ConfigureAwait(false);
        return parse.Errors.Count > 0 ? Commands.ExitCodes.BadInput : code;
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
