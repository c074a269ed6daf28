using System.Text.Json;
using k8s;
using Talm.Operator.Kube;
using Talm.Operator.Reconcile;

namespace Talm.Operator.Tests;

public sealed class CguEventMapperTests
{
    private static KubeObject Obj(string json) => KubeObject.FromJson(JsonDocument.Parse(json).RootElement);

    private static (CguEventMapper Mapper, ObjectCache Cache) Fleet()
    {
        var informerCache = new ObjectCache();
        informerCache.Upsert(Obj("""{"metadata":{"name":"explicit","namespace":"ztp"},"spec":{"clusters":["spoke1","spoke2"],"managedPolicies":["upgrade"]}}"""));
        informerCache.Upsert(Obj("""{"metadata":{"name":"bylabel","namespace":"ztp"},"spec":{"clusterLabelSelectors":[{"matchLabels":{"du":""}}],"managedPolicies":["other"]},"status":{"backup":{"status":{"spoke9":"Starting"}}}}"""));
        informerCache.Upsert(Obj("""{"metadata":{"name":"waiter","namespace":"ztp"},"spec":{"clusters":["spoke3"],"blockingCRs":[{"name":"explicit","namespace":"ztp"}]}}"""));
        return (new CguEventMapper(informerCache), informerCache);
    }

    private static string[] Keys(CguEventMapper mapper, ResourceKind kind, string json) =>
        [.. mapper.KeysFor(new InformerEvent(kind, WatchEventType.Modified, null, Obj(json))).Order(StringComparer.Ordinal)];

    [Fact]
    public void A_view_in_a_cluster_namespace_wakes_the_CGUs_that_have_that_cluster()
    {
        var (mapper, _) = Fleet();
        Assert.Equal(["ztp/explicit"], Keys(mapper, ResourceKind.ManagedClusterView, """{"metadata":{"name":"view-backup-job","namespace":"spoke2"}}"""));
        Assert.Equal(["ztp/bylabel"], Keys(mapper, ResourceKind.ManagedClusterView, """{"metadata":{"name":"view-backup-job","namespace":"spoke9"}}"""));
        Assert.Empty(Keys(mapper, ResourceKind.ManagedClusterAction, """{"metadata":{"name":"backup-ns-create","namespace":"elsewhere"}}"""));
    }

    [Fact]
    public void A_cluster_change_also_wakes_CGUs_that_select_by_labels()
    {
        var (mapper, _) = Fleet();
        Assert.Equal(["ztp/bylabel", "ztp/explicit"], Keys(mapper, ResourceKind.ManagedCluster, """{"metadata":{"name":"spoke1"}}"""));
        Assert.Equal(["ztp/bylabel", "ztp/waiter"], Keys(mapper, ResourceKind.ManagedCluster, """{"metadata":{"name":"spoke3"}}"""));
    }

    [Fact]
    public void Root_and_child_policies_wake_the_CGUs_managing_them()
    {
        var (mapper, _) = Fleet();
        Assert.Equal(["ztp/explicit"], Keys(mapper, ResourceKind.Policy, """{"metadata":{"name":"upgrade","namespace":"policies"}}"""));
        Assert.Equal(["ztp/explicit"], Keys(mapper, ResourceKind.Policy, """{"metadata":{"name":"policies.upgrade","namespace":"spoke1"}}"""));
        Assert.Empty(Keys(mapper, ResourceKind.Policy, """{"metadata":{"name":"policies.unrelated","namespace":"spoke1"}}"""));
    }

    [Fact]
    public void Placements_map_by_label_and_a_CGU_wakes_those_it_blocks()
    {
        var (mapper, _) = Fleet();
        Assert.Equal(["ztp/explicit"], Keys(mapper, ResourceKind.Placement,
            """{"metadata":{"name":"p","namespace":"policies","labels":{"openshift-cluster-group-upgrades/clusterGroupUpgrade":"explicit","openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace":"ztp"}}}"""));
        Assert.Equal(["ztp/explicit", "ztp/waiter"], Keys(mapper, ResourceKind.ClusterGroupUpgrade,
            """{"metadata":{"name":"explicit","namespace":"ztp"}}"""));
    }
}
