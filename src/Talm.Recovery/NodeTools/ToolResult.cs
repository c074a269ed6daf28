namespace Talm.Recovery.NodeTools;

/// <summary>A finished tool run: <see cref="Output"/> is stdout then stderr, <see cref="StdOut"/> is stdout alone.</summary>
public sealed record ToolResult(string Command, int ExitCode, string Output, string StdOut)
{
    public bool Succeeded => ExitCode == 0;
}
