using Talm.Lab.Spokes;

namespace Talm.Lab.Scenario;

public enum Fidelity
{
    Full,
    Fast,
}

/// <summary>Everything <c>talm lab up</c> can be asked for.</summary>
public sealed record LabOptions
{
    public int Spokes { get; init; } = 6;
    public Fidelity Fidelity { get; init; } = Fidelity.Full;
    public IReadOnlyList<string> FailBackup { get; init; } = [];
    public IReadOnlyList<string> SlowBackup { get; init; } = [];
    public IReadOnlyList<string> Unreachable { get; init; } = [];
    public IReadOnlyList<string> FailUpgrade { get; init; } = [];
    public int MaxConcurrency { get; init; } = 2;
    /// <summary>remediationStrategy.timeout of the default CGU, in minutes.</summary>
    public int TimeoutMinutes { get; init; } = 240;
    /// <summary>The default CGU is created with enable: false (pre-caching runs, the upgrade waits to be enabled).</summary>
    public bool Disabled { get; init; }
    /// <summary>A CGU document (YAML or JSON) to use instead of the default one.</summary>
    public string? CguDocument { get; init; }
    public bool Keep { get; init; }
    public string? ReportPath { get; init; }
    /// <summary>Where the lab keeps its state (API server data, spokes' hosts, kubeconfig).</summary>
    public required string WorkDir { get; init; }
    public FastSpokeTiming Timing { get; init; } = new();
    /// <summary>Give up waiting for the CGU after this long.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(30);

    public string SpokeName(int index) => $"cnfdb{index + 1}";

    public IEnumerable<string> SpokeNames => Enumerable.Range(0, Spokes).Select(SpokeName);

    public SpokeFaults FaultsFor(string name) => new(
        FailBackup: FailBackup.Contains(name, StringComparer.Ordinal),
        SlowBackup: SlowBackup.Contains(name, StringComparer.Ordinal),
        Unreachable: Unreachable.Contains(name, StringComparer.Ordinal),
        FailUpgrade: FailUpgrade.Contains(name, StringComparer.Ordinal));
}
