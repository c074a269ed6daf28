namespace Talm.Recovery.NodeTools;

/// <summary>A node tool failed; carries what the engineer needs to act: the step, the command and its output.</summary>
public sealed class NodeToolException(string step, string command, int exitCode, string output)
    : Exception($"step {step}: '{command}' failed (exit {exitCode}){(output.Length > 0 ? ": " + output : "")}")
{
    public string Step { get; } = step;

    public string Command { get; } = command;

    public int ExitCode { get; } = exitCode;

    public string Output { get; } = output;
}
