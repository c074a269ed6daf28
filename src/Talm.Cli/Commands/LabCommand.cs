using System.CommandLine;

namespace Talm.Cli.Commands;

/// <summary><c>talm lab</c>: try the product on one machine. Each subcommand lives in its own file.</summary>
public static class LabCommand
{
    public static Command Build()
    {
        var lab = new Command("lab", "Run a self-contained lab: an embedded API server and simulated clusters");
        lab.Subcommands.Add(LabServeCommand.Build());
        lab.Subcommands.Add(LabMakeHostCommand.Create());
        lab.Subcommands.Add(LabUpCommand.Build());
        lab.Subcommands.Add(LabRecoverCommand.Build());
        return lab;
    }
}
