using System.CommandLine;

namespace Talm.Cli.Commands;

/// <summary>
/// <c>recovery</c>: the spoke side. Backup verbs and restore verbs live in their own files. Mounted by both programs,
/// <c>talm</c> and <c>talm-recovery</c>, so names, options and exit codes are the same in each.
/// </summary>
public static class RecoveryCommand
{
    /// <param name="root">Gets <c>recovery</c> and the top-level <c>launchBackup</c>.</param>
    /// <param name="program">The running program's file name without extension (<c>talm</c>, <c>talm-recovery</c>): what a backup saves in its <c>bin/</c>.</param>
    public static Command Build(RootCommand root, string program)
    {
        ArgumentNullException.ThrowIfNull(root);
        var recovery = new Command(
            "recovery",
            "Spoke side: back up this node before an upgrade, verify the backup, recover after a failed upgrade.");
        SpokeBackupCommands.Register(recovery, root, program);
        RestoreCommands.Register(recovery);
        root.Subcommands.Add(recovery);
        return recovery;
    }
}
