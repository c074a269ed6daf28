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

    private static string[] Keys(CguEventMapper mapper, WatchedKind kind, string json) =>
        [.. mapper.KeysFor(new InformerEvent(kind, WatchEventType.Modified, null, Obj(json))).Order(StringComparer.Ordinal)];

    private static string[] Change(CguEventMapper mapper, WatchedKind kind, WatchEventType type, string? before, string? after) =>
        [.. mapper.KeysFor(new InformerEvent(kind, type, before is null ? null : Obj(before), after is null ? null : Obj(after))).Order(StringComparer.Ordinal)];

    [Fact]
    public void A_view_answered_in_a_cluster_namespace_wakes_the_CGUs_that_have_that_cluster()
    {
        var (mapper, _) = Fleet();
        const string Asked = """{"metadata":{"name":"view-backup-job","namespace":"spoke2"}}""";
        const string Answered = """{"metadata":{"name":"view-backup-job","namespace":"spoke2"},"status":{"conditions":[{"type":"Processing","status":"True"}]}}""";
        Assert.Equal(["ztp/explicit"], Change(mapper, WatchedKind.ManagedClusterView, WatchEventType.Modified, Asked, Answered));
        Assert.Equal(["ztp/bylabel"], Change(mapper, WatchedKind.ManagedClusterView, WatchEventType.Modified,
            """{"metadata":{"name":"view-backup-job","namespace":"spoke9"}}""",
            """{"metadata":{"name":"view-backup-job","namespace":"spoke9"},"status":{"conditions":[{"type":"Processing","status":"False"}]}}"""));
        // Not before RHACM answered, not when only metadata changed, not when it goes: as the reference's predicate.
        Assert.Empty(Change(mapper, WatchedKind.ManagedClusterView, WatchEventType.Added, null, Asked));
        Assert.Empty(Change(mapper, WatchedKind.ManagedClusterView, WatchEventType.Modified, Answered,
            """{"metadata":{"name":"view-backup-job","namespace":"spoke2","labels":{"x":"y"}},"status":{"conditions":[{"type":"Processing","status":"True"}]}}"""));
        Assert.Empty(Change(mapper, WatchedKind.ManagedClusterView, WatchEventType.Deleted, Answered, null));
        // Actions are not watched: the engine only asks whether one exists.
        Assert.Empty(Change(mapper, WatchedKind.ManagedClusterAction, WatchEventType.Modified,
            """{"metadata":{"name":"backup-ns-create","namespace":"spoke2"}}""",
            """{"metadata":{"name":"backup-ns-create","namespace":"spoke2"},"status":{"conditions":[{"type":"Completed","status":"True"}]}}"""));
    }

    [Fact]
    public void A_cluster_change_also_wakes_CGUs_that_select_by_labels()
    {
        var (mapper, _) = Fleet();
        Assert.Equal(["ztp/bylabel", "ztp/explicit"], Keys(mapper, WatchedKind.ManagedCluster, """{"metadata":{"name":"spoke1"}}"""));
        Assert.Equal(["ztp/bylabel", "ztp/waiter"], Keys(mapper, WatchedKind.ManagedCluster, """{"metadata":{"name":"spoke3"}}"""));
    }

    [Fact]
    public void Root_and_child_policies_wake_the_CGUs_managing_them()
    {
        var (mapper, _) = Fleet();
        Assert.Equal(["ztp/explicit"], Keys(mapper, WatchedKind.Policy, """{"metadata":{"name":"upgrade","namespace":"policies"}}"""));
        Assert.Equal(["ztp/explicit"], Keys(mapper, WatchedKind.Policy, """{"metadata":{"name":"policies.upgrade","namespace":"spoke1"}}"""));
        Assert.Empty(Keys(mapper, WatchedKind.Policy, """{"metadata":{"name":"policies.unrelated","namespace":"spoke1"}}"""));
    }

    [Fact]
    public void Placements_map_by_label()
    {
        var (mapper, _) = Fleet();
        Assert.Equal(["ztp/explicit"], Keys(mapper, WatchedKind.Placement,
            """{"metadata":{"name":"p","namespace":"policies","labels":{"openshift-cluster-group-upgrades/clusterGroupUpgrade":"explicit","openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace":"ztp"}}}"""));
    }

    [Fact]
    public void A_CGU_wakes_itself_on_spec_and_deletion_and_those_it_blocks_on_status()
    {
        var (mapper, _) = Fleet();
        const string V1 = """{"metadata":{"name":"explicit","namespace":"ztp","generation":1}}""";
        Assert.Equal(["ztp/explicit", "ztp/waiter"], Change(mapper, WatchedKind.ClusterGroupUpgrade, WatchEventType.Added, null, V1));
        Assert.Equal(["ztp/explicit"], Change(mapper, WatchedKind.ClusterGroupUpgrade, WatchEventType.Modified, V1,
            """{"metadata":{"name":"explicit","namespace":"ztp","generation":2}}"""));
        Assert.Equal(["ztp/explicit"], Change(mapper, WatchedKind.ClusterGroupUpgrade, WatchEventType.Modified, V1,
            """{"metadata":{"name":"explicit","namespace":"ztp","generation":1,"deletionTimestamp":"2026-11-25T10:00:00Z"}}"""));
        // Its own status write wakes only the CGUs it blocks; a label or annotation edit wakes nobody.
        Assert.Equal(["ztp/waiter"], Change(mapper, WatchedKind.ClusterGroupUpgrade, WatchEventType.Modified, V1,
            """{"metadata":{"name":"explicit","namespace":"ztp","generation":1},"status":{"conditions":[{"type":"Succeeded","status":"True"}]}}"""));
        Assert.Empty(Change(mapper, WatchedKind.ClusterGroupUpgrade, WatchEventType.Modified, V1,
            """{"metadata":{"name":"explicit","namespace":"ztp","generation":1,"annotations":{"edit":"1"}}}"""));
    }
}
