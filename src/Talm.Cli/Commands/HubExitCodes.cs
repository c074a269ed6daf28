namespace Talm.Cli.Commands;

/// <summary>
/// Exit codes of the long-running hub-side commands, <c>talm operator</c> and <c>talm lab serve</c>
/// (docs/hub.md and docs/lab.md list them). A command line the parser refuses also ends with
/// <see cref="BadInput"/> (see <see cref="Program.InvokeAsync"/>).
/// </summary>
public static class HubExitCodes
{
    /// <summary>Stopped on request (SIGTERM, SIGINT).</summary>
    public const int Ok = 0;

    /// <summary>
    /// Stopped (or could not start) for a reason outside the command line: the leader lease was lost, an
    /// address to serve on is taken, the data directory is damaged (refused, nothing changed).
    /// </summary>
    public const int Stopped = 1;

    /// <summary>Could not start with what it was given: an option, the kubeconfig, a manifest to load. Nothing was started.</summary>
    public const int BadInput = 2;
}
