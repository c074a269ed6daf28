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

    /// <summary>
    /// Hub changes to apply after the status is written (in this order). The status does not depend
    /// on them, so writing it first shows progress sooner; the engine asks for them again in every
    /// later decision until the snapshot shows them done, so one that is lost is not lost for good.
    /// </summary>
    public IReadOnlyList<Intent> FollowUps { get; init; } = [];

    public IReadOnlyList<EngineEvent> Events { get; init; } = [];

    /// <summary>
    /// Look again after this long even if nothing is watched to change; null = only on change;
    /// <see cref="TimeSpan.Zero"/> = at once (work was left for the next decision).
    /// </summary>
    public TimeSpan? RequeueAfter { get; init; }
}
