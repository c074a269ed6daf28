using System.Text.Json;
using Talm.Api.Json;

namespace Talm.Engine.Tests;

/// <summary>
/// The remediation plan (buildRemediationPlan) and the Placements and PlacementBindings that carry it
/// (ensureBatchPlacement, ensureBatchPlacementBinding, updateChildResourceNamesInStatus,
/// checkDuplicateChildResources, GetSafeResourceName, updatePlacements, cleanupPlacements).
/// </summary>
public sealed class PlanAndPlacementTests
{
    public static TheoryData<string, string, string?, int, string, string> Plans => new()
    {
        // clusters (* = compliant already), canaries, maxConcurrency → plan, clusters complete at the start
        { "one batch", "c1 c2 c3", null, 0, "c1 c2 c3", "" },
        { "batches of max concurrency", "c1 c2 c3 c4 c5", null, 2, "c1 c2|c3 c4|c5", "" },
        { "compliant clusters take no slot", "c1 c2* c3 c4* c5", null, 2, "c1 c3|c5", "c2 c4" },
        { "canaries first, alone, in their order", "c1 c2 c3 c4 c5", "c4 c2", 2, "c4|c2|c1 c3|c5", "" },
        { "a compliant canary is complete", "c1 c2* c3 c4", "c2 c3", 2, "c3|c1 c4", "c2" },
        { "everything compliant", "c1* c2*", "c2", 1, "", "c2 c1" },
        { "max concurrency above the cluster count", "c1 c2", null, 10, "c1 c2", "" },
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public void The_plan_puts_canaries_first_then_batches_of_computed_max_concurrency(string what, string clusters, string? canaries, int max, string plan, string complete)
    {
        var entries = clusters.Split(' ');
        var names = entries.Select(e => e.TrimEnd('*')).ToArray();
        var cgu = Fixtures.Cgu(names, ["p"], maxConcurrency: max, canaries: canaries?.Split(' '));
        var hub = new FakeHub(cgu).Clusters(names);
        hub.Policy("p", "ztp", entries.ToDictionary(e => e.TrimEnd('*'), e => (string?)(e.EndsWith('*') ? "Compliant" : "NonCompliant")));
        hub.Settle();
        var expected = plan.Length == 0 ? null : plan.Split('|').Select(b => b.Split(' ').ToList()).ToList();
        Assert.Equal(expected, hub.Status.RemediationPlan);
        Assert.Equal(complete.Length == 0 ? [] : complete.Split(' '), (hub.Status.Clusters ?? []).Select(c => c.Name));
        Assert.All(hub.Status.Clusters ?? [], c => Assert.Equal("complete", c.State));
        Assert.NotNull(what);
    }

    private static FakeHub TwoPolicies(string cguName = "cgu", string? suffixAnnotation = "kuttl", string suffix = "rand1")
    {
        var cgu = Fixtures.Cgu(["c1", "c2"], ["p1", "p2"], maxConcurrency: 2, name: cguName, enable: false);
        if (suffixAnnotation is not null)
            cgu = cgu.WithAnnotations((ClusterGroupUpgrade.NameSuffixAnnotation, suffixAnnotation));
        var hub = new FakeHub(cgu, suffix).Clusters("c1", "c2");
        hub.Policy("p1", "NonCompliant", ["c1", "c2"]);
        hub.Policy("p2", "site", new Dictionary<string, string?> { ["c1"] = "NonCompliant", ["c2"] = "NonCompliant" });
        return hub;
    }

    [Fact]
    public void Each_policy_gets_a_placement_and_an_enforcing_binding_in_its_namespace()
    {
        var hub = TwoPolicies();
        hub.Settle();
        var placement = hub.Get<Placement>("ztp", "cgu-p1-placement-kuttl")!;
        Assert.Equal(
            """{"apiVersion":"cluster.open-cluster-management.io/v1beta1","kind":"Placement","metadata":{"name":"cgu-p1-placement-kuttl","namespace":"ztp","labels":{"openshift-cluster-group-upgrades/clusterGroupUpgrade":"cgu","openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace":"default","app":"openshift-cluster-group-upgrades","velero.io/exclude-from-backup":"true","openshift-cluster-group-upgrades/forPolicy":"p1"},"annotations":{"cluster-group-upgrades-operator/rname":"ztp/cgu-p1-placement"}},"spec":{"predicates":[{"requiredClusterSelector":{"labelSelector":{"matchExpressions":[{"key":"name","operator":"In"}]}}}],"tolerations":[{"key":"cluster.open-cluster-management.io/unavailable","operator":"Exists"},{"key":"cluster.open-cluster-management.io/unreachable","operator":"Exists"}]}}""",
            KubeJson.Serialize(placement));
        var binding = hub.Get<PlacementBinding>("site", "cgu-p2-placement-kuttl")!;
        Assert.Equal(
            """{"apiVersion":"policy.open-cluster-management.io/v1","kind":"PlacementBinding","metadata":{"name":"cgu-p2-placement-kuttl","namespace":"site","labels":{"openshift-cluster-group-upgrades/clusterGroupUpgrade":"cgu","openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace":"default","app":"openshift-cluster-group-upgrades","velero.io/exclude-from-backup":"true"},"annotations":{"cluster-group-upgrades-operator/rname":"site/cgu-p2-placement"}},"placementRef":{"name":"cgu-p2-placement-kuttl","kind":"Placement","apiGroup":"cluster.open-cluster-management.io"},"subjects":[{"name":"p2","kind":"Policy","apiGroup":"policy.open-cluster-management.io"}],"subFilter":"restricted","bindingOverrides":{"remediationAction":"enforce"}}""",
            KubeJson.Serialize(binding));
        Assert.Equal(["cgu-p1-placement-kuttl", "cgu-p2-placement-kuttl"], hub.Status.Placements);
        Assert.Equal(["cgu-p1-placement-kuttl", "cgu-p2-placement-kuttl"], hub.Status.PlacementBindings);
        Assert.Equal(new Dictionary<string, string>
        {
            ["ztp/cgu-p1-placement"] = "cgu-p1-placement-kuttl",
            ["site/cgu-p2-placement"] = "cgu-p2-placement-kuttl",
        }, hub.Status.SafeResourceNames);
    }

    [Fact]
    public void Without_the_suffix_annotation_the_suffix_is_random_and_then_kept()
    {
        var hub = TwoPolicies(suffixAnnotation: null, suffix: "qwert");
        hub.Settle();
        Assert.Equal("cgu-p1-placement-qwert", hub.Status.SafeResourceNames!["ztp/cgu-p1-placement"]);
        hub.Engine = new CguEngine(new FixedSuffix("zzzzz"));
        hub.Cgu = hub.Cgu.WithSpec(s => s with { Enable = true });
        hub.Settle();
        Assert.Equal("cgu-p1-placement-qwert", hub.Status.SafeResourceNames!["ztp/cgu-p1-placement"]);
        Assert.Equal(["cgu-p1-placement-qwert", "cgu-p2-placement-qwert"], hub.Status.Placements);
        Assert.DoesNotContain(hub.All<Placement>(), p => p.Metadata.Name!.EndsWith("zzzzz", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(10, "")] // as is
    [InlineData(231, "")] // 231 + "-p1-placement" is exactly the 244 left after suffix, namespace and dash
    [InlineData(232, "")] // one over: cut
    [InlineData(243, ".b")] // cut right after a dot, which is dropped
    [InlineData(300, "")]
    public void Names_are_cut_to_fit_253_characters_with_namespace_and_suffix(int letters, string tail)
    {
        var cguName = new string('a', letters) + tail;
        var hub = TwoPolicies(cguName: cguName);
        hub.Settle();
        var desired = $"{cguName}-p1-placement";
        const int budget = 253 - 5 - 3 - 1;
        var stem = desired.Length > budget ? desired[..budget].TrimEnd('.') : desired;
        var safe = hub.Status.SafeResourceNames![$"ztp/{desired}"];
        Assert.Equal($"{stem}-kuttl", safe);
        Assert.True(safe.Length + "ztp".Length <= 253); // the reference keeps room for the namespace
        Assert.Equal(tail == ".b", !safe.Contains('.', StringComparison.Ordinal) && cguName.Contains('.', StringComparison.Ordinal));
        Assert.NotNull(hub.Get<Placement>("ztp", safe));
    }

    [Fact]
    public void A_stale_duplicate_of_a_placement_or_binding_is_deleted_and_left_out_of_the_status()
    {
        var hub = TwoPolicies();
        var labels = Show.Map(("openshift-cluster-group-upgrades/clusterGroupUpgrade", "cgu"), ("openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace", "default"));
        var stale = new ObjectMeta { Name = "cgu-p1-placement-old", Namespace = "ztp", Labels = labels, Annotations = Show.Map(("cluster-group-upgrades-operator/rname", "ztp/cgu-p1-placement")) };
        hub.Put(new Placement { Metadata = stale });
        hub.Put(new PlacementBinding { Metadata = stale });
        // One of the CGU's but not generated by it (no desired name): kept and listed.
        hub.Put(new Placement { Metadata = stale with { Name = "hand-made", Annotations = null } });
        var d = hub.Settle();
        var ops = hub.Decisions.SelectMany(x => Show.Ops(x)).ToList();
        Assert.Contains("delete Placement ztp/cgu-p1-placement-old", ops);
        Assert.Contains("delete PlacementBinding ztp/cgu-p1-placement-old", ops);
        Assert.Null(hub.Get<Placement>("ztp", "cgu-p1-placement-old"));
        Assert.Equal(["cgu-p1-placement-kuttl", "cgu-p2-placement-kuttl", "hand-made"], hub.Status.Placements);
        Assert.Equal(["cgu-p1-placement-kuttl", "cgu-p2-placement-kuttl"], hub.Status.PlacementBindings);
        Assert.NotNull(d);
    }

    [Fact]
    public void Another_cgus_placements_are_not_touched()
    {
        var hub = TwoPolicies();
        var other = new ObjectMeta
        {
            Name = "other-p1-placement-kuttl", Namespace = "ztp",
            Labels = Show.Map(("openshift-cluster-group-upgrades/clusterGroupUpgrade", "other"), ("openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace", "default")),
            Annotations = Show.Map(("cluster-group-upgrades-operator/rname", "ztp/cgu-p1-placement")),
        };
        hub.Put(new Placement { Metadata = other });
        hub.Settle();
        Assert.NotNull(hub.Get<Placement>("ztp", "other-p1-placement-kuttl"));
        Assert.Equal(["cgu-p1-placement-kuttl", "cgu-p2-placement-kuttl"], hub.Status.Placements);
    }

    private static string[] Placed(FakeHub hub, string ns, string name) =>
        [.. hub.Get<Placement>(ns, name)!.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0].Values ?? []];

    [Fact]
    public void Each_cluster_of_the_batch_is_placed_for_the_policy_it_is_on_and_the_placements_empty_when_the_batch_ends()
    {
        var cgu = Fixtures.Cgu(["c1", "c2", "c3"], ["p1", "p2"], maxConcurrency: 2);
        var hub = new FakeHub(cgu).Clusters("c1", "c2", "c3");
        hub.Policy("p1", "ztp", new Dictionary<string, string?> { ["c1"] = "NonCompliant", ["c2"] = "Compliant", ["c3"] = "NonCompliant" });
        hub.Policy("p2", "NonCompliant", ["c1", "c2", "c3"]);
        hub.Settle();
        Assert.Equal(["c1"], Placed(hub, "ztp", "cgu-p1-placement-kuttl"));
        Assert.Equal(["c2"], Placed(hub, "ztp", "cgu-p2-placement-kuttl")); // c2 skips p1, already compliant
        Assert.Equal((0, 1), (hub.Progress.CurrentBatchRemediationProgress!["c1"].PolicyIndex, hub.Progress.CurrentBatchRemediationProgress["c2"].PolicyIndex));

        hub.Root("p1").Compliance["c1"] = "Compliant";
        hub.Root("p2").Compliance["c2"] = "Compliant";
        hub.Decide();
        // c1 moves on to p2 and stays in p1's placement until the batch ends; c2 is done.
        Assert.Equal(["c1"], Placed(hub, "ztp", "cgu-p1-placement-kuttl"));
        Assert.Equal(["c2", "c1"], Placed(hub, "ztp", "cgu-p2-placement-kuttl"));

        hub.Root("p2").Compliance["c1"] = "Compliant";
        var d = hub.Decide();
        Assert.Equal(2, hub.Progress.CurrentBatch);
        Assert.Empty(Placed(hub, "ztp", "cgu-p1-placement-kuttl"));
        Assert.Empty(Placed(hub, "ztp", "cgu-p2-placement-kuttl"));
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        hub.Decide();
        Assert.Equal(["c3"], Placed(hub, "ztp", "cgu-p1-placement-kuttl"));
    }

    [Fact]
    public void A_placement_name_missing_from_the_status_fails_the_reconcile()
    {
        var hub = Fixtures.Hub(clusters: 1);
        hub.Settle();
        hub.PatchStatus(s => s.SafeResourceNames = null);
        var d = hub.Decide();
        Assert.Equal("placement object name cgu-p-placement not found in CGU cgu", d.Error);
        Assert.Null(d.RequeueAfter);
    }

    [Fact]
    public void Placements_are_reset_to_no_clusters_while_the_cgu_is_prepared()
    {
        var hub = TwoPolicies();
        hub.Settle();
        var p = hub.Get<Placement>("ztp", "cgu-p1-placement-kuttl")!;
        var selector = p.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!;
        hub.Put(p with { Spec = p.Spec with { Predicates = [p.Spec.Predicates[0] with { RequiredClusterSelector = new ClusterSelector { LabelSelector = selector with { MatchExpressions = [selector.MatchExpressions![0] with { Values = ["c9"] }] } } }] } });
        hub.Clock.Advance(TimeSpan.FromMinutes(5));
        var d = hub.Decide();
        Assert.Contains("update Placement ztp/cgu-p1-placement-kuttl", Show.Ops(d));
        Assert.Empty(Placed(hub, "ztp", "cgu-p1-placement-kuttl"));
    }

    [Fact]
    public void The_placement_json_round_trips_through_the_reference_shape()
    {
        var hub = TwoPolicies();
        hub.Settle();
        var json = KubeJson.Serialize(hub.Get<Placement>("ztp", "cgu-p1-placement-kuttl"));
        using var doc = JsonDocument.Parse(json);
        Assert.False(doc.RootElement.GetProperty("spec").GetProperty("predicates")[0].GetProperty("requiredClusterSelector").GetProperty("labelSelector").GetProperty("matchExpressions")[0].TryGetProperty("values", out _));
    }
}
