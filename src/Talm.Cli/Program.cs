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
        var recovery = new Command("recovery", "Spoke side: back up this node before an upgrade, verify the backup, recover after a failed upgrade.");
        SpokeBackupCommands.Register(recovery, root);
        RestoreCommands.Register(recovery);
        root.Subcommands.Add(recovery);
        var lab = LabCommand.Build();
        lab.Subcommands.Add(LabMakeHostCommand.Create());
        lab.Subcommands.Add(LabUpCommand.Build());
        lab.Subcommands.Add(LabRecoverCommand.Build());
        root.Subcommands.Add(lab);
        return root;
    }
}
