using Talm.Api.Agent;

namespace Talm.Engine.Preflight;

/// <summary>How one cluster's pre-flight ended.</summary>
public enum PreflightResult
{
    /// <summary>Every check passed: the backup can run.</summary>
    Passed,

    /// <summary>A check failed: the backup would not succeed as things are.</summary>
    Failed,

    /// <summary>The Job ended without a report (an agent that does not publish one, or one that died first).</summary>
    NoReport,

    /// <summary>Not tried: the hub reports the cluster unavailable.</summary>
    Unavailable,

    /// <summary>The hub could not make the Job (an action failed on the cluster).</summary>
    Error,

    /// <summary>No answer within the time given.</summary>
    TimedOut,
}

/// <summary>One cluster's pre-flight: how it ended, the agent's report when there is one, and one line that says why.</summary>
public sealed record PreflightOutcome(PreflightResult Result, string Message, PreflightReport? Report = null, double? JobSeconds = null)
{
    public bool Passed => Result == PreflightResult.Passed;
}

/// <summary>Where one cluster's pre-flight is.</summary>
public enum PreflightStage
{
    /// <summary>What an earlier pre-flight left on the cluster is being deleted.</summary>
    Clearing,

    /// <summary>The namespace, service account and binding are being made.</summary>
    Preparing,

    /// <summary>The Job is made and runs.</summary>
    Running,

    /// <summary>The outcome is known.</summary>
    Finished,
}

/// <summary>One step of a cluster's pre-flight: where it is now, what to change on the hub, and, once it ended, how.</summary>
public sealed record PreflightStep(PreflightStage Stage, IReadOnlyList<Model.Intent> Intents, string Waiting, PreflightOutcome? Outcome = null);

/// <summary>What the hub holds of one cluster's pre-flight: our views and actions in its namespace, by name.</summary>
public sealed record PreflightObserved(
    IReadOnlyDictionary<string, Api.Rhacm.ManagedClusterView> Views,
    IReadOnlyDictionary<string, Api.Rhacm.ManagedClusterAction> Actions)
{
    public static PreflightObserved Nothing { get; } = new(
        new Dictionary<string, Api.Rhacm.ManagedClusterView>(StringComparer.Ordinal),
        new Dictionary<string, Api.Rhacm.ManagedClusterAction>(StringComparer.Ordinal));
}
