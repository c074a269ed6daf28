namespace Talm.Conformance.Run;

/// <summary>What a conformance run was asked to do (the command line, resolved).</summary>
public sealed record ConformanceOptions
{
    /// <summary>A work tree of openshift-kni/cluster-group-upgrades-operator.</summary>
    public required string ReferenceDir { get; init; }

    /// <summary>Our repository: deploy/crds, conformance/overrides, artifacts/cli/talm.dll.</summary>
    public required string RepoDir { get; init; }

    /// <summary>Folders of tests inside the reference, relative to it.</summary>
    public IReadOnlyList<string> TestDirs { get; init; } = ["tests/kuttl/cgu/"];

    /// <summary>Scenario names to run; empty runs all.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    public bool SharedHub { get; init; }

    public string? ReportFile { get; init; }

    /// <summary>Shortens the time a step's asserts have to hold (commands keep the suite's timeout).</summary>
    public int? StepTimeoutSeconds { get; init; }

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where the logs of failed scenarios stay; null: artifacts/conformance/&lt;time&gt; in the repository.</summary>
    public string? LogsDir { get; init; }

    /// <summary>Keep the logs of passed scenarios too.</summary>
    public bool KeepLogs { get; init; }

    public bool NoOverrides { get; init; }

    /// <summary>Print each step and command as it runs.</summary>
    public bool Verbose { get; init; }

    /// <summary>talm.dll (built by scripts/conformance.sh); null: artifacts/cli/talm.dll in the repository.</summary>
    public string? TalmDll { get; init; }
}
