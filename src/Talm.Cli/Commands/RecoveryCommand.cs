using System.CommandLine;

namespace Talm.Cli.Commands;

/// <summary><c>talm recovery</c>: the spoke side. Backup verbs and restore verbs live in their own files.</summary>
public static class RecoveryCommand
{
    public static Command Build(RootCommand root)
    {
        var recovery = new Command(
            "recovery",
            "Spoke side: back up this node before an upgrade, verify the backup, recover after a failed upgrade.");
        SpokeBackupCommands.Register(recovery, root);
        RestoreCommands.Register(recovery);
        root.Subcommands.Add(recovery);
        return recovery;
    }
}
