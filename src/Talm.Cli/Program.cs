using System.CommandLine;
using Talm.Cli.Commands;

namespace Talm.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = BuildRoot();
        return await InvokeAsync(root.Parse(args)).ConfigureAwait(false);
    }

    /// <summary>Runs a parsed command line; one the parser refused (unknown option, bad value) ends with 2 after its message.</summary>
    public static async Task<int> InvokeAsync(ParseResult parse, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var code = await parse.InvokeAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return parse.Errors.Count > 0 ? HubExitCodes.BadInput : code;
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
