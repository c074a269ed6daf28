using System.CommandLine;
using Talm.Cli.Commands;

namespace Talm.Recovery.Cli;

/// <summary>
/// <c>talm-recovery</c>: the spoke agent alone (<c>recovery backup|verify|restore|rollback|status</c>, <c>launchBackup</c>)
/// for the recovery image and every backup's <c>bin/</c>, without the hub's operator, API server and lab. Its commands
/// are the ones <c>talm</c> mounts (Talm.Cli.Commands), so names, options and exit codes are the same.
/// </summary>
public static class Program
{
    public const string Name = "talm-recovery";

    public static async Task<int> Main(string[] args)
    {
        CommandLineApp.PrepareTerminal(args);
        return await CommandLineApp.InvokeAsync(BuildRoot().Parse(args)).ConfigureAwait(false);
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "talm-recovery: the talm spoke agent on its own. Backs up a single-node OpenShift node before an upgrade " +
            "and restores it after a failed one; the same commands as `talm recovery ...` and `talm launchBackup`.");
        RecoveryCommand.Build(root, Name);
        return CommandLineApp.AddCommon(root, Name);
    }
}
