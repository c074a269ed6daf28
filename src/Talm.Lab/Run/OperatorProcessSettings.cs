namespace Talm.Lab.Run;

/// <summary>How to run <c>talm operator</c> as a child process.</summary>
public sealed record OperatorProcessSettings
{
    /// <summary>The talm program: an executable, or dotnet with talm.dll as the first of <see cref="TalmPrefix"/>.</summary>
    public required string TalmFile { get; init; }

    public IReadOnlyList<string> TalmPrefix { get; init; } = [];

    /// <summary>The operator's --log-level; the lab keeps its log in operator.log, the benchmark only warnings.</summary>
    public string LogLevel { get; init; } = "information";

    /// <summary>How long it has to stop after SIGTERM before it is killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);
}
