namespace Talm.Lab.Spokes;

/// <summary>How full-fidelity spokes run the real tools.</summary>
public sealed record FullSpokeSettings
{
    /// <summary>The talm program: file and the arguments that come before a subcommand (e.g. dotnet + talm.dll).</summary>
    public required string TalmFile { get; init; }

    public IReadOnlyList<string> TalmPrefix { get; init; } = [];

    /// <summary>How long the simulated image pull of the pre-cache Job takes.</summary>
    public TimeSpan Precache { get; init; } = TimeSpan.FromSeconds(2);

    public string Profile { get; init; } = "small";
}
