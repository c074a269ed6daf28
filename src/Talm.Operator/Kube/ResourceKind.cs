namespace Talm.Operator.Kube;

/// <summary>An API resource the operator lists, watches or writes through the custom-object API.</summary>
public sealed record ResourceKind(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public override string ToString() => $"{Plural}.{Group}";

    /// <summary>What the operator's cache keeps of this kind's objects.</summary>
    public CacheShape CacheShape { get; init; }

    /// <summary>
    /// A kind the hub may not serve (its CRD absent): the cache then counts as synced and empty, and the
    /// informer lists again now and then, so that a CRD installed later is picked up.
    /// </summary>
    public bool Optional { get; init; }

    public static ResourceKind ClusterGroupUpgrade { get; } =
        new("ran.openshift.io", "v1alpha1", "clustergroupupgrades", "ClusterGroupUpgrade", true);

    public static ResourceKind ManagedCluster { get; } =
        new("cluster.open-cluster-management.io", "v1", "managedclusters", "ManagedCluster", false);

    public static ResourceKind Policy { get; } =
        new("policy.open-cluster-management.io", "v1", "policies", "Policy", true) { CacheShape = CacheShape.ReplicaSummary };

    public static ResourceKind PlacementBinding { get; } =
        new("policy.open-cluster-management.io", "v1", "placementbindings", "PlacementBinding", true);

    public static ResourceKind Placement { get; } =
        new("cluster.open-cluster-management.io", "v1beta1", "placements", "Placement", true);

    public static ResourceKind ManagedClusterView { get; } =
        new("view.open-cluster-management.io", "v1beta1", "managedclusterviews", "ManagedClusterView", true);

    public static ResourceKind ManagedClusterAction { get; } =
        new("action.open-cluster-management.io", "v1beta1", "managedclusteractions", "ManagedClusterAction", true) { CacheShape = CacheShape.MetadataOnly };

    public static ResourceKind ManifestWork { get; } =
        new("work.open-cluster-management.io", "v1", "manifestworks", "ManifestWork", true) { Optional = true };

    public static ResourceKind ManifestWorkReplicaSet { get; } =
        new("work.open-cluster-management.io", "v1alpha1", "manifestworkreplicasets", "ManifestWorkReplicaSet", true) { Optional = true };

    /// <summary>Every kind the operator watches.</summary>
    public static IReadOnlyList<ResourceKind> Watched { get; } =
        [ClusterGroupUpgrade, ManagedCluster, Policy, PlacementBinding, Placement, ManagedClusterView, ManagedClusterAction,
            ManifestWork, ManifestWorkReplicaSet];
}
