using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

/// <summary>
/// A CGU's life, decision by decision, as the reference's upgrade-complete scenario shows it: the
/// finalizer, computedMaxConcurrency, waiting while not enabled, batches, completion and clean-up, and
/// deletion (Reconcile, handleCguFinalizer, deleteResources in the reference).
/// </summary>
public sealed class LifecycleTests
{
    private static readonly string[] Policies = ["policy1-common-cluster-version-policy", "policy2-common-pao-sub-policy"];

    /// <summary>upgrade-complete: spoke6 already compliant, spoke1 and spoke4 one batch each, children only in spoke1.</summary>
    private static FakeHub UpgradeComplete(bool enable = false)
    {
        var cgu = Fixtures.Cgu(["spoke1", "spoke4", "spoke6"], Policies, maxConcurrency: 1, enable: enable, withFinalizer: false, name: "cgu-upgrade-complete")
            .WithAnnotations((ClusterGroupUpgrade.NameSuffixAnnotation, "kuttl"))
            .WithSpec(s => s with
            {
                RemediationStrategy = new RemediationStrategy { MaxConcurrency = 1 },
                Actions = new CguActions
                {
                    BeforeEnable = new ClusterActions { AddClusterLabels = Show.Map(("ztp-running", "")) },
                    AfterCompletion = new AfterCompletionActions { AddClusterLabels = Show.Map(("ztp-done", "")), DeleteClusterLabels = Show.Map(("ztp-running", "")), DeleteObjects = true },
                },
            });
        var hub = new FakeHub(cgu).Clusters("spoke1", "spoke2", "spoke4", "spoke5", "spoke6");
        var state = new Dictionary<string, string?> { ["spoke1"] = "NonCompliant", ["spoke4"] = "NonCompliant", ["spoke6"] = "Compliant" };
        var p1 = hub.Policy(Policies[0], "default", state, Fixtures.ConfigPolicy(Fixtures.ClusterVersion(channel: "stable-4.9", version: "4.9.8", image: "quay.io/ocp/release:4.9.8")));
        var p2 = hub.Policy(Policies[1], "default", new Dictionary<string, string?>(state) { ["spoke2"] = "NonCompliant" },
            Fixtures.ConfigPolicy(Fixtures.Subscription("performance-addon-operator", "openshift-performance-addon-operator", "performance-addon-operator", "4.9")));
        foreach (var p in new[] { p1, p2 })
        {
            p.NoChild.UnionWith(["spoke2", "spoke4", "spoke6"]);
        }
        return hub;
    }

    [Fact]
    public void The_first_decision_adds_the_finalizer_and_announces_the_cgu()
    {
        var hub = UpgradeComplete();
        var d = hub.Decide();
        Assert.Equal(["finalizer +ran.openshift.io/cleanup-finalizer"], Show.Ops(d));
        Assert.Equal(["Normal CguCreated BuildingRemediationPlan: New ClusterGroupUpgrade found: cgu-upgrade-complete"], Show.Events(d));
        Assert.Equal("cgu.openshift.io/event-type=global", Show.Annotations(d.Events[0]));
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        Assert.False(d.StatusChanged);
    }

    [Fact]
    public void Computed_max_concurrency_is_written_on_its_own_and_the_cgu_looked_at_again()
    {
        var hub = UpgradeComplete();
        hub.Decide();
        var d = hub.Decide();
        Assert.True(d.StatusChanged);
        Assert.Equal(1, hub.Status.ComputedMaxConcurrency);
        Assert.Empty(Show.Conditions(hub)); // ClustersSelected is set after the write, so it is not written yet
        Assert.Empty(d.Intents);
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        Assert.Equal("{}", Show.Json(hub.Status.Status));
    }

    [Fact]
    public void A_disabled_cgu_is_prepared_then_waits_not_enabled()
    {
        var hub = UpgradeComplete();
        var d = hub.Settle();
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            "Validated True ValidationCompleted: Completed validation",
            "Progressing False NotEnabled: Not enabled",
        ], Show.Conditions(hub));
        var st = hub.Status;
        Assert.Equal([["spoke1"], ["spoke4"]], st.RemediationPlan);
        Assert.Equal(Policies, st.ManagedPoliciesForUpgrade!.Select(p => p.Name));
        Assert.All(st.ManagedPoliciesForUpgrade!, p => Assert.Equal("default", p.Namespace));
        Assert.Equal(Policies.ToDictionary(p => p, _ => "default"), st.ManagedPoliciesNs);
        Assert.Equal(new Dictionary<string, string>
        {
            [Policies[1]] = """[{"kind":"Subscription","name":"performance-addon-operator","apiVersion":"operators.coreos.com/v1alpha1","namespace":"openshift-performance-addon-operator"}]""",
        }, st.ManagedPoliciesContent);
        string[] names = [$"cgu-upgrade-complete-{Policies[0]}-placement-kuttl", $"cgu-upgrade-complete-{Policies[1]}-placement-kuttl"];
        Assert.Equal(names, st.Placements);
        Assert.Equal(names, st.PlacementBindings);
        Assert.Equal(new Dictionary<string, string>
        {
            [$"default/cgu-upgrade-complete-{Policies[0]}-placement"] = names[0],
            [$"default/cgu-upgrade-complete-{Policies[1]}-placement"] = names[1],
        }, st.SafeResourceNames);
        Assert.Equal("{}", Show.Json(st.Status));
        Assert.Null(st.Clusters); // afterCompletion waits for enable
        Assert.Empty(hub.ClusterChanges);
        Assert.Equal(TimeSpan.FromMinutes(5), d.RequeueAfter);
        Assert.DoesNotContain(hub.Events, e => e.Reason == "CguStarted");
    }

    [Fact]
    public void Enabling_starts_batch_one_and_runs_to_completion_with_the_actions_and_events()
    {
        var hub = UpgradeComplete();
        hub.Settle();
        hub.Cgu = hub.Cgu.WithSpec(s => s with { Enable = true });
        var d = hub.Settle();

        // 01-assert: spoke6 complete at once, batch 1 on spoke1 at the first policy.
        Assert.Equal("Progressing True InProgress: Remediating non-compliant policies", Show.Last(hub));
        Assert.Equal([new ClusterResult { Name = "spoke6", State = "complete" }], hub.Status.Clusters);
        Assert.Equal(1, hub.Progress.CurrentBatch);
        Assert.Equal(hub.Now, hub.Progress.CurrentBatchStartedAt);
        Assert.Equal(hub.Now, hub.Progress.StartedAt);
        var progress = Assert.Single(hub.Progress.CurrentBatchRemediationProgress!);
        Assert.Equal(("spoke1", "InProgress", (int?)0), (progress.Key, progress.Value.State, progress.Value.PolicyIndex));
        Assert.Equal(TimeSpan.FromMinutes(5), d.RequeueAfter);
        Assert.Equal(
        [
            "cluster spoke6 +ztp-done= -ztp-running",
            "cluster spoke1 +ztp-running=", "cluster spoke4 +ztp-running=",
        ], hub.ClusterChanges.Select(c => Show.Ops(new Decision { Status = new(), Intents = [c] })[0]));
        Assert.Equal(
        [
            "Normal CguStarted RemediationStarted: ClusterGroupUpgrade cgu-upgrade-complete started remediating policies",
            "Normal CguStarted RemediationInBatchStarted: ClusterGroupUpgrade cgu-upgrade-complete: batch index 1 upgrade started",
            "Normal CguStarted RemediationInClusterStarted: ClusterGroupUpgrade cgu-upgrade-complete: cluster spoke1 upgrade started",
        ], Show.Events(hub.Events.Skip(1)));
        Assert.Equal("cgu.openshift.io/event-type=global cgu.openshift.io/total-batches-count=2 cgu.openshift.io/total-clusters-count=2", Show.Annotations(hub.Events[1]));
        Assert.Equal("cgu.openshift.io/batch-clusters=spoke1 cgu.openshift.io/batch-clusters-count=1 cgu.openshift.io/event-type=batch cgu.openshift.io/total-clusters-count=2", Show.Annotations(hub.Events[2]));
        Assert.Equal(("cgu.openshift.io/cluster-name=spoke1 cgu.openshift.io/event-type=cluster", "spoke1"), (Show.Annotations(hub.Events[3]), hub.Events[3].RelatedCluster));
        var placement = hub.Get<Placement>("default", $"cgu-upgrade-complete-{Policies[0]}-placement-kuttl")!;
        Assert.Equal(["spoke1"], placement.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0].Values);

        // spoke1 remediates both policies, one at a time; then batch 2 (02-assert), then done (03-assert).
        hub.Events.Clear();
        for (var i = 0; i < 10 && hub.Progress.CompletedAt is null; i++)
        {
            hub.Tick();
            hub.Clock.Advance(TimeSpan.FromSeconds(10));
            hub.Settle();
        }
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            "Validated True ValidationCompleted: Completed validation",
            "Progressing False Completed: All clusters are compliant with all the managed policies",
            "Succeeded True Completed: All clusters are compliant with all the managed policies",
        ], Show.Conditions(hub));
        Assert.Equal(["spoke6", "spoke1", "spoke4"], hub.Status.Clusters!.Select(c => c.Name));
        Assert.All(hub.Status.Clusters!, c => Assert.Equal("complete", c.State));
        Assert.Equal([["spoke1"], ["spoke4"]], hub.Status.RemediationPlan);
        Assert.Equal(Policies, hub.Status.ManagedPoliciesForUpgrade!.Select(p => p.Name));
        // Finished: the objects and names are gone, the batch fields reset, completedAt stamped.
        Assert.Null(hub.Status.Placements);
        Assert.Null(hub.Status.PlacementBindings);
        Assert.Null(hub.Status.SafeResourceNames);
        Assert.Empty(hub.All<Placement>());
        Assert.Empty(hub.All<PlacementBinding>());
        Assert.Equal(0, hub.Progress.CurrentBatch);
        Assert.Null(hub.Progress.CurrentBatchStartedAt);
        Assert.Null(hub.Progress.CurrentBatchRemediationProgress);
        Assert.Equal(hub.Now, hub.Progress.CompletedAt);
        Assert.Equal(["ztp-done"], hub.ManagedClusters["spoke4"].Metadata.Labels!.Keys.Where(k => k.StartsWith("ztp", StringComparison.Ordinal)));
        Assert.Equal(
        [
            "Normal CguSuccess RemediationInClusterCompleted: ClusterGroupUpgrade cgu-upgrade-complete: cluster spoke1 upgrade finished successfully",
            "Normal CguSuccess RemediationInBatchCompleted: ClusterGroupUpgrade cgu-upgrade-complete: all clusters in the batch index 1 are compliant with managed policies",
            "Normal CguStarted RemediationInBatchStarted: ClusterGroupUpgrade cgu-upgrade-complete: batch index 2 upgrade started",
            "Normal CguStarted RemediationInClusterStarted: ClusterGroupUpgrade cgu-upgrade-complete: cluster spoke4 upgrade started",
            "Normal CguSuccess RemediationInClusterCompleted: ClusterGroupUpgrade cgu-upgrade-complete: cluster spoke4 upgrade finished successfully",
            "Normal CguSuccess RemediationInBatchCompleted: ClusterGroupUpgrade cgu-upgrade-complete: all clusters in the batch index 2 are compliant with managed policies",
            "Normal CguSuccess RemediationCompleted: ClusterGroupUpgrade cgu-upgrade-complete succeeded remediating policies",
        ], Show.Events(hub.Events));
        Assert.Equal("cgu.openshift.io/event-type=global cgu.openshift.io/total-clusters-count=2", Show.Annotations(hub.Events[^1]));

        // Terminal: nothing more is asked of the hub, the status stays as it is.
        var after = hub.Engine.Decide(hub.Snapshot(), hub.Now.AddHours(1));
        Assert.Empty(after.Intents);
        Assert.Empty(after.Events);
        Assert.Null(after.RequeueAfter);
        Assert.False(after.StatusChanged);
    }

    [Fact]
    public void Keeping_the_objects_leaves_placements_and_safe_names_after_completion()
    {
        var hub = Fixtures.Hub(clusters: 1);
        hub.Cgu = hub.Cgu.WithSpec(s => s with { Actions = new CguActions { AfterCompletion = new AfterCompletionActions { DeleteObjects = false } } });
        hub.RunUntilTerminal(TimeSpan.FromSeconds(10), 20);
        Assert.Equal("Succeeded True Completed: All clusters are compliant with all the managed policies", Show.Last(hub));
        Assert.Single(hub.All<Placement>());
        Assert.NotNull(hub.Status.SafeResourceNames);
        Assert.Equal(["cgu-p-placement-kuttl"], hub.Status.Placements);
        Assert.NotNull(hub.Progress.CompletedAt);
    }

    [Theory]
    [InlineData(false, "running")]
    [InlineData(false, "done")]
    [InlineData(true, "running")]
    [InlineData(true, "done")]
    public void Deleting_a_cgu_cleans_up_what_is_left_then_drops_the_finalizer(bool keepObjects, string when)
    {
        var hub = Fixtures.Hub(clusters: 2, maxConcurrency: 1);
        if (keepObjects)
            hub.Cgu = hub.Cgu.WithSpec(s => s with { Actions = new CguActions { AfterCompletion = new AfterCompletionActions { DeleteObjects = false } } });
        if (when == "running")
            hub.Settle(); // batch 1 running on c1
        else
            hub.RunUntilTerminal(TimeSpan.FromSeconds(10), 30);
        hub.Delete();
        var d = hub.Decide();
        var ops = Show.Ops(d);
        Assert.Equal("finalizer -ran.openshift.io/cleanup-finalizer", ops[^1]);
        var placementsDeleted = ops.Contains("deleteall Placement ztp openshift-cluster-group-upgrades/clusterGroupUpgrade=cgu,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default");
        // deleteResources runs for an unfinished CGU, or one that kept its objects.
        Assert.Equal(when == "running" || keepObjects, placementsDeleted);
        // FinalMultiCloudObjectCleanup: the running batch's views and actions.
        Assert.Equal(when == "running", ops.Contains("deleteall ManagedClusterView c1 openshift-cluster-group-upgrades/clusterGroupUpgrade=cgu,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default"));
        Assert.Equal(when == "running", ops.Contains("deleteall ManagedClusterAction c1 openshift-cluster-group-upgrades/clusterGroupUpgrade=default-cgu"));
        Assert.Empty(d.Events);
        Assert.Null(d.RequeueAfter);
        Assert.True(hub.Gone);
    }

    [Fact]
    public void A_deleted_cgu_without_the_finalizer_is_left_alone()
    {
        var hub = Fixtures.Hub();
        hub.Cgu = hub.Cgu with { Metadata = hub.Cgu.Metadata with { Finalizers = null, DeletionTimestamp = hub.Now } };
        var d = hub.Engine.Decide(hub.Snapshot(), hub.Now);
        Assert.Empty(d.Intents);
        Assert.Empty(d.Events);
        Assert.False(d.StatusChanged);
    }

    [Fact]
    public void Deleting_before_the_first_batch_cleans_the_first_batch_clusters()
    {
        var hub = Fixtures.Hub(clusters: 3, maxConcurrency: 2, backup: true);
        hub.Settle(); // backing up: no batch yet
        hub.Delete();
        var ops = Show.Ops(hub.Decide());
        Assert.Contains("deleteall ManagedClusterView c1 openshift-cluster-group-upgrades/clusterGroupUpgrade=cgu,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default", ops);
        Assert.Contains("deleteall ManagedClusterView c2 openshift-cluster-group-upgrades/clusterGroupUpgrade=cgu,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default", ops);
        Assert.DoesNotContain(ops, o => o.StartsWith("deleteall ManagedClusterView c3", StringComparison.Ordinal));
        // The unfinished backups are cleaned: their views and actions go and the spoke namespace is deleted.
        Assert.Contains("delete ManagedClusterView c3/view-backup-job", ops);
        Assert.Contains("delete ManagedClusterAction c3/backup-job-create", ops);
    }
}
