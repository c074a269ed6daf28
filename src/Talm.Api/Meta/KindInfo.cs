namespace Talm.Api.Meta;

/// <summary>Where a kind lives on the API server: enough to build its REST path.</summary>
public sealed record KindInfo(string Group, string Version, string Kind, string Plural, bool Namespaced)
{
    /// <summary>Computed once: every model's default apiVersion reads it.</summary>
    public string ApiVersion { get; } = Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The REST collection path, e.g. /apis/ran.openshift.io/v1alpha1/namespaces/ns/clustergroupupgrades.</summary>
    public string CollectionPath(string? ns)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        return Namespaced ? $"{root}/namespaces/{ns}/{Plural}" : $"{root}/{Plural}";
    }

    public string ObjectPath(string? ns, string name) => $"{CollectionPath(ns)}/{name}";
}

/// <summary>The kinds the hub reads and writes: the one registry the engine, the operator, the lab and the tools address them by.</summary>
public static class Kinds
{
    public static readonly KindInfo ClusterGroupUpgrade = new("ran.openshift.io", "v1alpha1", "ClusterGroupUpgrade", "clustergroupupgrades", true);
    public static readonly KindInfo PreCachingConfig = new("ran.openshift.io", "v1alpha1", "PreCachingConfig", "precachingconfigs", true);
    public static readonly KindInfo ManagedCluster = new("cluster.open-cluster-management.io", "v1", "ManagedCluster", "managedclusters", false);
    public static readonly KindInfo ManagedClusterAction = new("action.open-cluster-management.io", "v1beta1", "ManagedClusterAction", "managedclusteractions", true);
    public static readonly KindInfo ManagedClusterView = new("view.open-cluster-management.io", "v1beta1", "ManagedClusterView", "managedclusterviews", true);
    public static readonly KindInfo Policy = new("policy.open-cluster-management.io", "v1", "Policy", "policies", true);
    public static readonly KindInfo PlacementBinding = new("policy.open-cluster-management.io", "v1", "PlacementBinding", "placementbindings", true);
    public static readonly KindInfo Placement = new("cluster.open-cluster-management.io", "v1beta1", "Placement", "placements", true);
    public static readonly KindInfo ManifestWork = new("work.open-cluster-management.io", "v1", "ManifestWork", "manifestworks", true);
    public static readonly KindInfo ManifestWorkReplicaSet = new("work.open-cluster-management.io", "v1alpha1", "ManifestWorkReplicaSet", "manifestworkreplicasets", true);
    public static readonly KindInfo ConfigMap = new("", "v1", "ConfigMap", "configmaps", true);
    public static readonly KindInfo Namespace = new("", "v1", "Namespace", "namespaces", false);

    public static IReadOnlyList<KindInfo> All { get; } =
        [ClusterGroupUpgrade, PreCachingConfig, ManagedCluster, ManagedClusterAction, ManagedClusterView, Policy, PlacementBinding, Placement,
            ManifestWork, ManifestWorkReplicaSet, ConfigMap, Namespace];

    public static KindInfo? Find(string apiVersion, string kind)
    {
        foreach (var k in All)
        {
            if (k.Kind == kind && k.ApiVersion == apiVersion)
                return k;
        }
        return null;
    }
}
