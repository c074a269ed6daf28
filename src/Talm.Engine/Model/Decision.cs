using Talm.Api.Cgu;

namespace Talm.Engine.Model;

/// <summary>What the engine decided: the status to write, what to change on the hub, what happened, when to look again.</summary>
public sealed record Decision
{
    public required ClusterGroupUpgradeStatus Status { get; init; }

    /// <summary>False when <see cref="Status"/> equals the snapshot's status (skip the status write).</summary>
    public bool StatusChanged { get; init; }

    /// <summary>Hub changes in the order they should be applied.</summary>
    public IReadOnlyList<Intent> Intents { get; init; } = [];

    public IReadOnlyList<EngineEvent> Events { get; init; } = [];

    /// <summary>Look again after this long even if nothing is watched to change; null = only on change.</summary>
    public TimeSpan? RequeueAfter { get; init; }
}
