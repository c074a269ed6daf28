using Talm.Api.Cgu;

namespace Talm.Engine.Model;

/// <summary>What the engine decided: the status to write, what to change on the hub, what happened, when to look again.</summary>
public sealed record Decision
{
    public required ClusterGroupUpgradeStatus Status { get; init; }

    /// <summary>False when <see cref="Status"/> equals the snapshot's status (skip the status write).</summary>
    public bool StatusChanged { get; init; }

    /// <summary>Hub changes in the order they should be applied, all before the status is written.</summary>
    public IReadOnlyList<Intent> Intents { get; init; } = [];

    public IReadOnlyList<EngineEvent> Events { get; init; } = [];

    /// <summary>
    /// Look again after this long even if nothing is watched to change; null = only on change;
    /// <see cref="TimeSpan.Zero"/> = at once (work was left for the next decision).
    /// </summary>
    public TimeSpan? RequeueAfter { get; init; }

    /// <summary>
    /// The reconcile failed here, as the reference's would with this error: the intents before it are
    /// applied, the status is not written past the last point the reference writes it, and the CGU is
    /// retried with back-off.
    /// </summary>
    public string? Error { get; init; }

    /// <summary>Update graph URLs the decision needed but the snapshot did not hold: fetch them and decide again.</summary>
    public IReadOnlyList<string> NeedsUpdateGraphs { get; init; } = [];
}
