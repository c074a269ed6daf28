using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

public sealed class PlanAndPlacementTests
{
    [Fact]
    public void Canaries_come_first_one_per_batch_in_canary_order_then_batches_of_max_concurrency()
    {
        var names = Fixtures.Names(7);
        var hub = Fixtures.Fleet(Fixtures.Cgu(names, ["p"], maxConcurrency: 2, canaries: ["c5", "c2"], enable: false), 7, "p");
        hub.Decide();
        Assert.Equal([["c5"], ["c2"], ["c1", "c3"], ["c4", "c6"], ["c7"]], hub.Status.RemediationPlan!);
    }

    [Fact]
    public void A_compliant_canary_gets_no_batch()
    {
        var hub = new FakeHub(Fixtures.Cgu(["c1", "c2", "c3"], ["p"], maxConcurrency: 5, canaries: ["c2"], enable: false)).Cluster("c1").Cluster("c2").Cluster("c3");
        hub.Policy("p", "ztp", new Dictionary<string, string?> { ["c1"] = "NonCompliant", ["c2"] = "Compliant", ["c3"] = "NonCompliant" });
        hub.Decide();
        Assert.Equal([["c1", "c3"]], hub.Status.RemediationPlan!);
    }

    [Fact]
    public void Placements_and_bindings_exist_while_not_enabled_with_contract_names_labels_and_fields()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["Policy-A"], enable: false, name: "my-cgu", ns: "cgu-ns"), 1, "Policy-A");
        var d = hub.Decide();
        var progressing = hub.Condition(ConditionTypes.Progressing)!;
        Assert.Equal(("False", "NotEnabled", "Not enabled"), (progressing.Status, progressing.Reason, progressing.Message));
        Assert.Null(d.RequeueAfter);

        var placement = Assert.Single(hub.Objects.OfType<Placement>());
        Assert.Equal(("my-cgu-policy-a-placement-kuttl", "ztp"), (placement.Metadata.Name, placement.Metadata.Namespace));
        Assert.Equal(new Dictionary<string, string>
        {
            ["app"] = "openshift-cluster-group-upgrades",
            ["openshift-cluster-group-upgrades/clusterGroupUpgrade"] = "my-cgu",
            ["openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace"] = "cgu-ns",
            ["velero.io/exclude-from-backup"] = "true",
            ["openshift-cluster-group-upgrades/forPolicy"] = "Policy-A",
        }, placement.Metadata.Labels);
        Assert.Equal("ztp/my-cgu-policy-a-placement", placement.Metadata.Annotations!["cluster-group-upgrades-operator/rname"]);
        var expr = placement.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0];
        Assert.Equal(("name", "In", 0), (expr.Key, expr.Operator, expr.Values!.Count));
        Assert.Equal(["cluster.open-cluster-management.io/unavailable", "cluster.open-cluster-management.io/unreachable"], placement.Spec.Tolerations!.Select(t => t.Key!));
        Assert.All(placement.Spec.Tolerations!, t => Assert.Equal("Exists", t.Operator));

        var binding = Assert.Single(hub.Objects.OfType<PlacementBinding>());
        Assert.Equal(("my-cgu-policy-a-placement-kuttl", "ztp"), (binding.Metadata.Name, binding.Metadata.Namespace));
        Assert.False(binding.Metadata.Labels!.ContainsKey("openshift-cluster-group-upgrades/forPolicy"));
        Assert.Equal("true", binding.Metadata.Labels["velero.io/exclude-from-backup"]);
        Assert.Equal(new PlacementSubject { Name = "my-cgu-policy-a-placement-kuttl", Kind = "Placement", ApiGroup = "cluster.open-cluster-management.io" }, binding.PlacementRef);
        Assert.Equal([new PlacementSubject { Name = "Policy-A", Kind = "Policy", ApiGroup = "policy.open-cluster-management.io" }], binding.Subjects!);
        Assert.Equal(("restricted", "enforce"), (binding.SubFilter, binding.BindingOverrides!.RemediationAction));

        Assert.Equal(["my-cgu-policy-a-placement-kuttl"], hub.Status.Placements!);
        Assert.Equal(["my-cgu-policy-a-placement-kuttl"], hub.Status.PlacementBindings!);
        Assert.Equal(new Dictionary<string, string> { ["ztp/my-cgu-policy-a-placement"] = "my-cgu-policy-a-placement-kuttl" }, hub.Status.SafeResourceNames);
    }

    [Fact]
    public void Long_names_are_truncated_so_name_suffix_and_namespace_fit()
    {
        var cgu = Fixtures.Cgu(["c1"], ["a-very-long-policy-name-that-goes-on"], enable: false, name: "an-equally-long-cluster-group-upgrade-name");
        var hub = Fixtures.Fleet(cgu, 1, "a-very-long-policy-name-that-goes-on");
        hub.Decide();
        var name = Assert.Single(hub.Status.Placements!);
        Assert.Equal(63, name.Length + "ztp".Length);
        Assert.EndsWith("-kuttl", name, StringComparison.Ordinal);
        Assert.StartsWith("an-equally-long-cluster-group-upgrade-name-a-very", name, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_suffix_annotation_the_injected_source_names_once_and_the_name_sticks()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"], enable: false), 1, "p");
        var source = new CountingSuffix();
        hub.Engine = new CguEngine(source);
        hub.Decide();
        hub.Decide();
        hub.Decide();
        Assert.Equal(1, source.Calls);
        Assert.Equal(["cgu-p-placement-qwert"], hub.Status.Placements!);
        Assert.Single(hub.Objects.OfType<Placement>());
    }

    [Fact]
    public void The_suffix_annotation_wins_over_the_random_source()
    {
        var cgu = Fixtures.Cgu(["c1"], ["p"], enable: false);
        cgu = cgu with { Metadata = cgu.Metadata with { Annotations = new Dictionary<string, string> { ["cluster-group-upgrades-operator/name-suffix"] = "fixed" } } };
        var hub = Fixtures.Fleet(cgu, 1, "p");
        var source = new CountingSuffix();
        hub.Engine = new CguEngine(source);
        hub.Decide();
        Assert.Equal(0, source.Calls);
        Assert.Equal(["cgu-p-placement-fixed"], hub.Status.Placements!);
    }

    [Fact]
    public void Random_suffixes_are_five_lowercase_letters()
    {
        var source = new RandomNameSuffix(new Random(7));
        for (var i = 0; i < 50; i++)
            Assert.Matches("^[a-z]{5}$", source.Next());
    }

    [Fact]
    public void Running_a_batch_puts_each_cluster_in_the_placement_of_its_current_policy()
    {
        var names = Fixtures.Names(3);
        var hub = new FakeHub(Fixtures.Cgu(names, ["p1", "p2"], maxConcurrency: 3));
        foreach (var n in names)
            hub.Cluster(n);
        hub.Policy("p1", "ztp", new Dictionary<string, string?> { ["c1"] = "NonCompliant", ["c2"] = "Compliant", ["c3"] = "NonCompliant" });
        hub.Policy("p2", "ztp", new Dictionary<string, string?> { ["c1"] = "NonCompliant", ["c2"] = "NonCompliant", ["c3"] = "Compliant" });
        hub.RemediationTicks["c1"] = 5;
        var d = hub.Decide();
        Assert.Equal(["c1", "c3"], Values(hub, "cgu-p1-placement-kuttl"));
        Assert.Equal(["c2"], Values(hub, "cgu-p2-placement-kuttl"));
        Assert.Equal(1, hub.Status.Status!.CurrentBatch);
        var progress = hub.Status.Status.CurrentBatchRemediationProgress!;
        Assert.Equal(("InProgress", 0), (progress["c1"].State, progress["c1"].PolicyIndex));
        Assert.Equal(("InProgress", 1), (progress["c2"].State, progress["c2"].PolicyIndex));
        var c = hub.Condition(ConditionTypes.Progressing)!;
        Assert.Equal(("True", "InProgress", "Remediating non-compliant policies"), (c.Status, c.Reason, c.Message));
        Assert.Contains(d.Events, e => e.Kind == EngineEventKind.CguStarted);
        Assert.Contains(d.Events, e => e.Kind == EngineEventKind.BatchStarted && e.Detail == "1");

        hub.Tick();
        hub.Decide();
        // c3 became compliant with p1: done. c2 with p2: done. c1 still on p1.
        Assert.Equal(["c1"], Values(hub, "cgu-p1-placement-kuttl"));
        Assert.Empty(Values(hub, "cgu-p2-placement-kuttl"));
        Assert.Equal(["c2", "c3"], hub.Status.Clusters!.Select(r => r.Name).Order());
    }

    private static List<string> Values(FakeHub hub, string placement) =>
        [.. hub.Get<Placement>("ztp", placement)!.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0].Values!];

    private sealed class CountingSuffix : INameSuffixSource
    {
        public int Calls { get; private set; }

        public string Next()
        {
            Calls++;
            return "qwert";
        }
    }
}
