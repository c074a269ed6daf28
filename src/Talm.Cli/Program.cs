using System.CommandLine;
using Talm.Cli.Commands;

namespace Talm.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = BuildRoot();
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    /// <summary>The whole command tree; each group lives in its own file under Commands/.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "talm: pre-upgrade backup and recovery for fleets of single-node OpenShift clusters, " +
            "driven by ClusterGroupUpgrade resources on a hub.");
        root.Subcommands.Add(LabCommand.Build());
        return root;
    }
}
