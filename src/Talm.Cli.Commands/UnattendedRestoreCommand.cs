using System.CommandLine;
using Talm.Recovery.Layout;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Restore;
using Talm.Recovery.Systemd;
using Talm.Recovery.Unattended;

namespace Talm.Cli.Commands;

/// <summary><c>talm recovery restore --unattended [--reboot]</c>: the restore as one command, finished by a one-shot unit after the reboot.</summary>
internal static class UnattendedRestoreCommand
{
    public static (Option<bool> Unattended, Option<bool> Reboot) Options() => (
        new Option<bool>("--unattended")
        {
            Description = "One command for the whole restore: roll the OS back if the upgrade changed it, restore the files, and install a one-shot systemd unit " +
                          $"({RestoreUnit.Name}) that continues after the reboot and records the result in <dir>/{BackupDirectory.RestoreResultName} and the ConfigMap " +
                          $"{ResultConfigMap.Namespace}/{ResultConfigMap.Name}. With --resume: what that unit runs",
        },
        new Option<bool>("--reboot") { Description = "With --unattended: reboot as soon as the unit is installed" });

    public static async Task<int> RunAsync(ParseResult parse, RestoreOptions options, Option<bool> unattended, Option<bool> reboot, NodeToolRunner tools, RecoveryLog log, CancellationToken ct)
    {
        var error = parse.InvocationConfiguration.Error;
        if (!parse.GetValue(unattended))
        {
            await error.WriteLineAsync("talm: --reboot goes with --unattended (without it, reboot with 'systemctl reboot' when the restore says so)").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        if (options.Step || options.Restart)
        {
            await error.WriteLineAsync($"talm: --unattended does not go with {(options.Step ? "--step" : "--restart")}").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        return await CommandGuard.RunAsync(error, "restore --unattended", async () =>
        {
            try
            {
                await new UnattendedRestore(options, tools, log, TimeProvider.System) { Reboot = parse.GetValue(reboot) }.RunAsync(ct).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (RestoreFailedException e)
            {
                log.Error(e.Message);
                return RestoreCommands.ExitCode(e);
            }
        }).ConfigureAwait(false);
    }
}
