using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Api.Work;

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

    /// <summary>ManagedClusterViews in the cluster namespaces.</summary>
    public IReadOnlyList<ManagedClusterView> Views { get; init; } = [];

    /// <summary>ManagedClusterActions in the cluster namespaces (metadata is enough).</summary>
    public IReadOnlyList<ManagedClusterAction> Actions { get; init; } = [];

    /// <summary>Placements in the policy namespaces (at least those labelled for this CGU).</summary>
    public IReadOnlyList<Placement> Placements { get; init; } = [];

    public IReadOnlyList<PlacementBinding> PlacementBindings { get; init; } = [];

    /// <summary>ManifestWorks in the cluster namespaces (at least those labelled for this CGU).</summary>
    public IReadOnlyList<ManifestWork> ManifestWorks { get; init; } = [];

    /// <summary>ManifestWorkReplicaSets in the CGU's namespace: the templates of spec.manifestWorkTemplates.</summary>
    public IReadOnlyList<ManifestWorkReplicaSet> ManifestWorkReplicaSets { get; init; } = [];

    /// <summary>Other CGUs, for blockingCRs.</summary>
    public IReadOnlyList<ClusterGroupUpgrade> OtherCgus { get; init; } = [];

    /// <summary>The PreCachingConfig named by spec.preCachingConfigRef; null when none is named or it does not exist.</summary>
    public PreCachingConfig? PreCachingConfig { get; init; }

    /// <summary>The data of the cluster-group-upgrade-overrides ConfigMap in the CGU's namespace, when it exists.</summary>
    public IReadOnlyDictionary<string, string>? Overrides { get; init; }

    /// <summary>
    /// OpenShift update graphs fetched for this decision, by URL (upstream + "?channel=" + channel). A
    /// decision that needs one not here lists it in <see cref="Decision.NeedsUpdateGraphs"/>.
    /// </summary>
    public IReadOnlyDictionary<string, UpdateGraph> UpdateGraphs { get; init; } = new Dictionary<string, UpdateGraph>();

    public EngineSettings Settings { get; init; } = new();
}

/// <summary>An update graph as fetched: its release nodes, or why it could not be had.</summary>
public sealed record UpdateGraph
{
    /// <summary>version → release image (payload).</summary>
    public IReadOnlyList<(string Version, string Payload)> Nodes { get; init; } = [];

    /// <summary>Why the graph could not be fetched or read, as the reference words it; null when it was.</summary>
    public string? Error { get; init; }
}

/// <summary>Operator settings the engine needs; absent values are reported as the reference does, not thrown.</summary>
public sealed record EngineSettings
{
    /// <summary>The operator's RECOVERY_IMG: image of the backup Job on the spoke.</summary>
    public string? RecoveryImage { get; init; }

    /// <summary>The operator's PRECACHE_IMG: image of the pre-cache Job on the spoke.</summary>
    public string? PrecacheImage { get; init; }

    /// <summary>
    /// At most this many clusters take a backup or pre-cache step that writes spoke-side objects in one
    /// decision; the others keep their state and the decision asks to be followed at once. This keeps
    /// each reconcile short at fleet scale, so the status shows finished backups within seconds
    /// instead of after the writes for every other cluster.
    /// </summary>
    public int ClusterStepsPerDecision { get; init; } = DefaultClusterStepsPerDecision;

    public const int DefaultClusterStepsPerDecision = 200;
}
