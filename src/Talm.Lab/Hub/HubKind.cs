namespace Talm.Lab.Hub;

/// <summary>A resource type on the hub, addressed the way the Kubernetes REST API addresses it.</summary>
public sealed record HubKind(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public static readonly HubKind Namespace = new("", "v1", "namespaces", "Namespace", false);
    public static readonly HubKind ManagedCluster =
        new("cluster.open-cluster-management.io", "v1", "managedclusters", "ManagedCluster", false);
    public static readonly HubKind ManagedClusterAction =
        new("action.open-cluster-management.io", "v1beta1", "managedclusteractions", "ManagedClusterAction", true);
    public static readonly HubKind ManagedClusterView =
        new("view.open-cluster-management.io", "v1beta1", "managedclusterviews", "ManagedClusterView", true);
    public static readonly HubKind Policy =
        new("policy.open-cluster-management.io", "v1", "policies", "Policy", true);
    public static readonly HubKind PlacementBinding =
        new("policy.open-cluster-management.io", "v1", "placementbindings", "PlacementBinding", true);
    public static readonly HubKind Placement =
        new("cluster.open-cluster-management.io", "v1beta1", "placements", "Placement", true);
    public static readonly HubKind ClusterGroupUpgrade =
        new("ran.openshift.io", "v1alpha1", "clustergroupupgrades", "ClusterGroupUpgrade", true);
}
