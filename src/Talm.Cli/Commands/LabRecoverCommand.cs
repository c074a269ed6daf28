using System.CommandLine;
using Talm.Lab.Recover;

namespace Talm.Cli.Commands;

/// <summary><c>talm lab recover NAME</c>: recover a lab spoke whose upgrade failed, then prove it is back.</summary>
public static class LabRecoverCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("NAME") { Description = "The spoke to recover (one given to 'lab up --fail-upgrade')" };
        var dir = new Option<DirectoryInfo>("--dir")
        {
            Description = "The lab's directory (as given to 'lab up')",
            DefaultValueFactory = _ => new DirectoryInfo(LabPaths.DefaultDir),
        };
        var unattended = new Option<bool>("--unattended")
        {
            Description = "Recover as an engineer would with one command on the node ('talm recovery restore --unattended --reboot'); the simulated reboot then runs " +
                          "the one-shot unit it installed, and the result is shown from the node and from the ConfigMap in the spoke's API server",
        };
        var command = new Command("recover", "Run the real recovery (rollback, restore, simulated reboot, --resume) on a lab spoke whose upgrade failed, and prove it is back");
        command.Arguments.Add(name);
        command.Options.Add(dir);
        command.Options.Add(unattended);
        command.SetAction(async (ParseResult p, CancellationToken ct) =>
        {
            var output = p.InvocationConfiguration.Output;
            var recovery = new LabRecovery(LabPaths.TalmSettings(), output);
            try
            {
                var proof = await recovery.RecoverAsync(p.GetValue(dir)!.FullName, p.GetValue(name)!, ct, p.GetValue(unattended));
                return proof.Ok ? 0 : 1;
            }
            catch (LabRecoveryException e)
            {
                await p.InvocationConfiguration.Error.WriteLineAsync("talm lab recover: " + e.Message);
                return 1;
            }
        });
        return command;
    }
}
