using Talm.Api.Meta;

namespace Talm.Operator.Kube;

/// <summary>A kind the operator lists and watches (its address from the registry, <see cref="Kinds"/>), and how it caches it.</summary>
public sealed record WatchedKind(KindInfo Info)
{
    public string Group => Info.Group;

    public string Version => Info.Version;

    public string Plural => Info.Plural;

    public string Kind => Info.Kind;

    public bool Namespaced => Info.Namespaced;

    public string ApiVersion => Info.ApiVersion;

    public override string ToString() => $"{Plural}.{Group}";

    /// <summary>What the operator's cache keeps of this kind's objects.</summary>
    public CacheShape CacheShape { get; init; }

    /// <summary>
    /// A kind the hub may not serve (its CRD absent): the cache then counts as synced and empty, and the
    /// informer lists again now and then, so that a CRD installed later is picked up.
    /// </summary>
    public bool Optional { get; init; }

    public static WatchedKind ClusterGroupUpgrade { get; } = new(Kinds.ClusterGroupUpgrade);

    public static WatchedKind ManagedCluster { get; } = new(Kinds.ManagedCluster);

    public static WatchedKind Policy { get; } = new(Kinds.Policy) { CacheShape = CacheShape.ReplicaSummary };

    public static WatchedKind PlacementBinding { get; } = new(Kinds.PlacementBinding);

    public static WatchedKind Placement { get; } = new(Kinds.Placement);

    public static WatchedKind ManagedClusterView { get; } = new(Kinds.ManagedClusterView);

    public static WatchedKind ManagedClusterAction { get; } = new(Kinds.ManagedClusterAction) { CacheShape = CacheShape.MetadataOnly };

    public static WatchedKind ManifestWork { get; } = new(Kinds.ManifestWork) { Optional = true };

    public static WatchedKind ManifestWorkReplicaSet { get; } = new(Kinds.ManifestWorkReplicaSet) { Optional = true };

    /// <summary>Every kind the operator watches.</summary>
    public static IReadOnlyList<WatchedKind> Watched { get; } =
        [ClusterGroupUpgrade, ManagedCluster, Policy, PlacementBinding, Placement, ManagedClusterView, ManagedClusterAction,
            ManifestWork, ManifestWorkReplicaSet];
}
