using System.CommandLine;
using System.CommandLine.Parsing;
using Talm.Cli.Commands;

namespace Talm.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);

        // A spoke command line that does not parse prints its errors and usage, and exits with the bad-input
        // code: 1 is the backup's "insufficient disk space".
        var code = await parse.InvokeAsync().ConfigureAwait(false);
        return parse.Errors.Count > 0 && IsSpokeCommand(parse.CommandResult) ? Commands.ExitCodes.BadInput : code;
    }

    private static bool IsSpokeCommand(CommandResult? result)
    {
        for (var command = result; command is not null; command = command.Parent as CommandResult)
        {
            if (command.Command.Name is "recovery" or SpokeBackupCommands.LaunchBackup)
            {
                return true;
            }
        }

        return false;
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
