using Talm.Api.Cgu;
using Talm.Api.Rhacm;

namespace Talm.Engine.Model;

/// <summary>
/// Everything the engine may look at for one decision about <see cref="Cgu"/>: what the hub holds.
/// Collection order does not matter; the engine indexes what it needs.
/// </summary>
public sealed record HubSnapshot
{
    public required ClusterGroupUpgrade Cgu { get; init; }

    /// <summary>All ManagedClusters (cluster-scoped).</summary>
    public IReadOnlyList<ManagedCluster> ManagedClusters { get; init; } = [];

    /// <summary>Root policies and the child policies in cluster namespaces.</summary>
    public IReadOnlyList<Policy> Policies { get; init; } = [];

    /// <summary>ManagedClusterViews in the cluster namespaces (only the talm-named ones matter).</summary>
    public IReadOnlyList<ManagedClusterView> Views { get; init; } = [];

    /// <summary>Placements in the policy namespaces (at least those labelled for this CGU).</summary>
    public IReadOnlyList<Placement> Placements { get; init; } = [];

    public IReadOnlyList<PlacementBinding> PlacementBindings { get; init; } = [];

    /// <summary>Other CGUs, for blockingCRs.</summary>
    public IReadOnlyList<ClusterGroupUpgrade> OtherCgus { get; init; } = [];

    /// <summary>The PreCachingConfig named by spec.preCachingConfigRef, if it exists.</summary>
    public PreCachingConfig? PreCachingConfig { get; init; }

    public EngineSettings Settings { get; init; } = new();
}

/// <summary>Operator settings the engine needs; absent values are reported as conditions, not thrown.</summary>
public sealed record EngineSettings
{
    /// <summary>The operator's RECOVERY_IMG: image of the backup Job on the spoke.</summary>
    public string? RecoveryImage { get; init; }

    /// <summary>The operator's PRECACHE_IMG: image of the pre-cache Job on the spoke.</summary>
    public string? PrecacheImage { get; init; }

    /// <summary>
    /// At most this many clusters start a step that creates or deletes spoke-side objects in one
    /// decision; the others keep their state and the decision asks to be followed at once. This keeps
    /// each reconcile short at fleet scale, so the status shows finished backups within seconds
    /// instead of after the writes for every other cluster.
    /// </summary>
    public int ClusterStepsPerDecision { get; init; } = DefaultClusterStepsPerDecision;

    public const int DefaultClusterStepsPerDecision = 200;
}
