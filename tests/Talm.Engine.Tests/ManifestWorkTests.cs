using System.Text.Json;
using Talm.Api.Work;

namespace Talm.Engine.Tests;

/// <summary>
/// A CGU with manifestWorkTemplates (manifestwork.go and utils/manifestwork.go: validateManifestWorkTemplates,
/// getNextManifestWorkForCluster, updateManifestWorkForCurrentBatch, IsManifestWorkCompleted,
/// handleManifestWorkTimeoutForCluster, the clean-ups), as the kuttl manifestwork-* scenarios show it.
/// </summary>
public sealed class ManifestWorkTests
{
    private const string Expected = """[{"manifestIndex":0,"name":"isPrepCompleted","value":"True"}]""";
    private static readonly string[] Templates = ["ibu-prep", "ibu-upgrade", "ibu-finalize"];

    private static FakeHub Hub(int maxConcurrency = 2, int timeout = 240, bool withTemplates = true)
    {
        var cgu = Fixtures.Cgu(["spoke1", "spoke4", "spoke6"], [], maxConcurrency: maxConcurrency, timeout: timeout, name: "ibu-upgrade")
            .WithAnnotations((ClusterGroupUpgrade.NameSuffixAnnotation, "kuttl"))
            .WithSpec(s => s with { ManagedPolicies = null, ManifestWorkTemplates = Templates });
        var hub = new FakeHub(cgu).Clusters("spoke1", "spoke4", "spoke6");
        if (withTemplates)
        {
            hub.Put(Fixtures.Template("ibu-prep", expectedValues: Expected + "\n"));
            hub.Put(Fixtures.Template("ibu-upgrade"));
            hub.Put(Fixtures.Template("ibu-finalize"));
        }
        return hub;
    }

    private static string? Index(FakeHub hub, string cluster) =>
        hub.Progress.CurrentBatchRemediationProgress![cluster] is { State: "Completed" } ? "done" : hub.Progress.CurrentBatchRemediationProgress[cluster].ManifestWorkIndex?.ToString(null, null);

    [Fact]
    public void Missing_templates_hold_the_cgu_at_validation()
    {
        var hub = Hub(withTemplates: false);
        hub.Put(Fixtures.Template("ibu-prep"));
        hub.Put(Fixtures.Template("ibu-upgrade", ns: "elsewhere"));
        var d = hub.Settle();
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            "Validated False NotAllManifestTemplatesExist: Missing manifest templates: [ibu-upgrade ibu-finalize]",
        ], Show.Conditions(hub));
        Assert.Equal(TimeSpan.FromMinutes(1), d.RequeueAfter);
        // The reference sends its validation event with no failure type: an empty note.
        var e = Assert.Single(hub.Events);
        Assert.Equal(("Warning", "CguValidationFailure", "", ""), (e.Type, e.Reason, e.Note, Show.Annotations(e)));
    }

    [Fact]
    public void The_first_template_is_created_as_a_manifestwork_on_each_cluster_of_the_batch()
    {
        var hub = Hub();
        var d = hub.Settle();
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            "Validated True ValidationCompleted: Completed validation",
            "Progressing True InProgress: Rolling out manifestworks",
        ], Show.Conditions(hub));
        Assert.Equal([["spoke1", "spoke4"], ["spoke6"]], hub.Status.RemediationPlan);
        Assert.Equal(new Dictionary<string, string> { ["/default.ibu-prep"] = "default.ibu-prep-kuttl" }, hub.Status.SafeResourceNames);
        Assert.Null(hub.Status.ManagedPoliciesForUpgrade);
        Assert.Null(hub.Status.Placements);
        Assert.Equal(("0", "0"), (Index(hub, "spoke1"), Index(hub, "spoke4")));
        Assert.Equal(TimeSpan.FromMinutes(5), d.RequeueAfter);
        var work = hub.Get<ManifestWork>("spoke4", "default.ibu-prep-kuttl")!;
        Assert.Equal(
            """{"name":"default.ibu-prep-kuttl","namespace":"spoke4","labels":{"openshift-cluster-group-upgrades/clusterGroupUpgrade":"ibu-upgrade","openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace":"default"},"annotations":{"openshift-cluster-group-upgrades/expectedValues":"[{\u0022manifestIndex\u0022:0,\u0022name\u0022:\u0022isPrepCompleted\u0022,\u0022value\u0022:\u0022True\u0022}]\n"}}""",
            Show.Json(work.Metadata));
        // The template's manifestWorkTemplate, with the resource identifier filled out as Go writes it.
        Assert.Equal(
            """{"deleteOption":{"propagationPolicy":"Orphan"},"manifestConfigs":[{"feedbackRules":[{"jsonPaths":[{"name":"isPrepCompleted","path":".status.conditions[?(@.type==\u0022PrepCompleted\u0022)].status"}],"type":"JSONPaths"}],"resourceIdentifier":{"group":"lca.openshift.io","name":"upgrade","resource":"imagebasedupgrades","namespace":""}}],"workload":{"manifests":[{"apiVersion":"lca.openshift.io/v1alpha1","kind":"ImageBasedUpgrade","metadata":{"name":"upgrade"},"spec":{"stage":"Prep"}}]}}""",
            work.Spec!.Value.GetRawText());
        Assert.Null(hub.Get<ManifestWork>("spoke6", "default.ibu-prep-kuttl"));
    }

    [Fact]
    public void A_template_without_expected_values_gets_an_empty_annotation()
    {
        var hub = Hub();
        hub.Remove("ManifestWorkReplicaSet", "default", "ibu-prep");
        hub.Put(Fixtures.Template("ibu-prep"));
        hub.Settle();
        Assert.Equal("", hub.Get<ManifestWork>("spoke1", "default.ibu-prep-kuttl")!.Metadata.Annotation("openshift-cluster-group-upgrades/expectedValues"));
    }

    public static TheoryData<string, JsonElement?, bool> Completion => new()
    {
        { "applied, available, the expected value", Works.Done(Expected), true },
        { "no status yet", null, false },
        { "not available", Works.Status(applied: true, available: false, synced: true, Works.Feedback(("isPrepCompleted", "True"))), false },
        { "the expected value not reached", Works.Status(applied: true, available: true, synced: true, Works.Feedback(("isPrepCompleted", "False"))), false },
        { "feedback not synced", Works.Status(applied: true, available: true, synced: false, Works.Feedback(("isPrepCompleted", "True"))), false },
        { "no feedback at all", Works.Status(applied: true, available: true, synced: true), false },
    };

    [Theory]
    [MemberData(nameof(Completion))]
    public void A_work_is_complete_when_applied_available_and_showing_its_expected_values(string what, JsonElement? status, bool complete)
    {
        var hub = Hub();
        hub.Settle();
        var work = hub.Get<ManifestWork>("spoke1", "default.ibu-prep-kuttl")!;
        hub.Put(work with { Status = status });
        var d = hub.Decide();
        Assert.Equal(complete ? "1" : "0", Index(hub, "spoke1"));
        // A cluster that moved on needs one more reconcile at once: the previous work goes, then the next is made.
        Assert.Equal(complete ? TimeSpan.Zero : TimeSpan.FromMinutes(5), d.RequeueAfter);
        Assert.DoesNotContain(Show.Ops(d), o => o.StartsWith("create ManifestWork spoke1/default.ibu-upgrade", StringComparison.Ordinal));
        Assert.NotNull(what);
    }

    [Fact]
    public void Expected_values_that_are_no_json_fail_the_reconcile()
    {
        var hub = Hub();
        hub.Settle();
        var work = hub.Get<ManifestWork>("spoke1", "default.ibu-prep-kuttl")!;
        hub.Put(work with
        {
            Metadata = work.Metadata with { Annotations = Show.Map(("openshift-cluster-group-upgrades/expectedValues", "[{oops")) },
            Status = Works.Done(null),
        });
        var d = hub.Decide();
        Assert.NotNull(d.Error);
        Assert.False(d.StatusChanged);
    }

    [Fact]
    public void The_previous_work_is_deleted_before_the_next_is_created_and_the_batches_follow()
    {
        var hub = Hub();
        hub.Settle();
        hub.Tick(); // both works of batch 1 done
        var d = hub.Decide();
        Assert.Equal(("1", "1"), (Index(hub, "spoke1"), Index(hub, "spoke4")));
        Assert.DoesNotContain(Show.Ops(d), o => o.Contains("ManifestWork ", StringComparison.Ordinal));
        d = hub.Decide();
        Assert.Equal(
        [
            "delete ManifestWork spoke1/default.ibu-prep-kuttl", "delete ManifestWork spoke4/default.ibu-prep-kuttl",
            "create ManifestWork spoke1/default.ibu-upgrade-kuttl", "create ManifestWork spoke4/default.ibu-upgrade-kuttl",
        ], Show.Ops(d).Order(StringComparer.Ordinal).OrderBy(o => o.StartsWith("create", StringComparison.Ordinal)));
        Assert.Equal(new Dictionary<string, string>
        {
            ["/default.ibu-prep"] = "default.ibu-prep-kuttl",
            ["/default.ibu-upgrade"] = "default.ibu-upgrade-kuttl",
        }, hub.Status.SafeResourceNames);

        for (var i = 0; i < 12 && hub.Progress.CurrentBatch == 1; i++)
        {
            hub.Tick();
            hub.Settle();
        }
        Assert.Equal(["spoke1", "spoke4"], hub.Status.Clusters!.Select(c => c.Name));
        Assert.Equal(2, hub.Progress.CurrentBatch);
        // Batch 2 starts by deleting batch 1's works (deleteObjects defaults to true).
        var ops = hub.Decisions[^1].Intents.Concat(hub.Decisions[^2].Intents).OfType<DeleteCollectionIntent>().Select(x => $"{x.KindInfo.Kind} {x.Namespace}").ToList();
        Assert.Contains("ManifestWork spoke1", ops);
        Assert.Contains("ManifestWork spoke4", ops);
        Assert.DoesNotContain(hub.All<ManifestWork>(), w => w.Metadata.Namespace != "spoke6");

        for (var i = 0; i < 12 && hub.Progress.CompletedAt is null; i++)
        {
            hub.Tick();
            hub.Settle();
        }
        Assert.Equal(
        [
            "Progressing False Completed: All manifestworks rolled out successfully on all clusters",
            "Succeeded True Completed: All manifestworks rolled out successfully on all clusters",
        ], Show.Conditions(hub)[2..]);
        Assert.Empty(hub.All<ManifestWork>()); // the last batch's works go when the CGU finishes
        Assert.Null(hub.Status.SafeResourceNames);
    }

    [Fact]
    public void A_timed_out_cluster_reports_its_current_work_and_what_it_reached()
    {
        // kuttl manifestwork-timeout.
        var hub = Hub(timeout: 60);
        hub.Settle();
        var failed = Works.Status(applied: false, available: false, synced: false, Works.Feedback(("isPrepCompleted", "False")));
        var pending = Works.Status(applied: true, available: true, synced: true, Works.Feedback(("isPrepCompleted", "False"), ("prepInProgressConditionMessage", "Completed")));
        hub.Put(hub.Get<ManifestWork>("spoke1", "default.ibu-prep-kuttl")! with { Status = failed });
        hub.Put(hub.Get<ManifestWork>("spoke4", "default.ibu-prep-kuttl")! with { Status = pending });
        hub.Clock.Advance(TimeSpan.FromMinutes(61));
        var d = hub.Decide();
        Assert.Equal(
        [
            "Progressing False TimedOut: Manifestwork rollout took too long",
            "Succeeded False TimedOut: Manifestwork rollout took too long",
        ], Show.Conditions(hub)[2..]);
        var spoke1 = hub.Status.Clusters!.Single(c => c.Name == "spoke1");
        var spoke4 = hub.Status.Clusters!.Single(c => c.Name == "spoke4");
        Assert.Equal(["spoke1", "spoke4"], hub.Status.Clusters!.Select(c => c.Name));
        Assert.All(hub.Status.Clusters!, c => Assert.Equal("timedout", c.State));
        // A manifest that is not ready keeps its conditions but loses its feedback values; a ready one keeps its first condition only.
        Assert.Equal(
            """{"name":"ibu-prep","status":{"manifests":[{"resourceMeta":{"ordinal":0,"group":"lca.openshift.io","version":"v1alpha1","kind":"ImageBasedUpgrade","resource":"imagebasedupgrades","name":"upgrade","namespace":""},"conditions":[{"type":"Applied","status":"False","reason":"Failed","message":"Failed to apply","lastTransitionTime":"2026-03-01T08:00:00Z"},{"type":"Available","status":"False","reason":"Failed","message":"Failed to apply","lastTransitionTime":"2026-03-01T08:00:00Z"},{"type":"StatusFeedbackSynced","status":"False","reason":"Failed","message":"Failed to apply","lastTransitionTime":"2026-03-01T08:00:00Z"}],"statusFeedback":{}}]}}""",
            spoke1.CurrentManifestWork!.Value.GetRawText());
        Assert.Equal(
            """{"name":"ibu-prep","status":{"manifests":[{"resourceMeta":{"ordinal":0,"group":"lca.openshift.io","version":"v1alpha1","kind":"ImageBasedUpgrade","resource":"imagebasedupgrades","name":"upgrade","namespace":""},"conditions":[{"type":"Applied","status":"True","reason":"Ok","message":"done","lastTransitionTime":"2026-03-01T08:00:00Z"}],"statusFeedback":{"values":[{"name":"isPrepCompleted","fieldValue":{"type":"String","string":"False"}},{"name":"prepInProgressConditionMessage","fieldValue":{"type":"String","string":"Completed"}}]}}]}}""",
            spoke4.CurrentManifestWork!.Value.GetRawText());
        Assert.Contains("deleteall ManagedClusterView spoke1 openshift-cluster-group-upgrades/clusterGroupUpgrade=ibu-upgrade,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default", Show.Ops(d));
    }

    [Fact]
    public void A_timed_out_cluster_whose_work_is_gone_reports_the_template_only()
    {
        var hub = Hub(timeout: 60);
        hub.Settle();
        hub.Remove("ManifestWork", "spoke1", "default.ibu-prep-kuttl");
        hub.Clock.Advance(TimeSpan.FromMinutes(61));
        hub.Decide();
        Assert.Equal("""{"name":"ibu-prep"}""", hub.Status.Clusters!.Single(c => c.Name == "spoke1").CurrentManifestWork!.Value.GetRawText());
    }

    [Fact]
    public void Deleting_the_cgu_removes_the_works_of_the_earlier_batches_too()
    {
        var hub = Hub(maxConcurrency: 1);
        hub.Cgu = hub.Cgu.WithSpec(s => s with { Actions = new CguActions { AfterCompletion = new AfterCompletionActions { DeleteObjects = false } } });
        for (var i = 0; i < 20 && hub.Progress.CurrentBatch < 2; i++)
        {
            hub.Tick();
            hub.Settle();
        }
        hub.Tick();
        hub.Settle();
        Assert.Contains(hub.All<ManifestWork>(), w => w.Metadata.Namespace == "spoke1"); // kept: deleteObjects is false
        hub.Delete();
        var ops = Show.Ops(hub.Decide());
        Assert.Contains("deleteall ManifestWork spoke1 openshift-cluster-group-upgrades/clusterGroupUpgrade=ibu-upgrade,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default", ops);
        Assert.Contains("deleteall ManifestWork spoke4 openshift-cluster-group-upgrades/clusterGroupUpgrade=ibu-upgrade,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default", ops);
        Assert.Empty(hub.All<ManifestWork>());
    }
}
