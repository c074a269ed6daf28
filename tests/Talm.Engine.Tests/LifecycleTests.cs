using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

public sealed class LifecycleTests
{
    private static ClusterGroupUpgrade Other(string name, bool? succeeded, string ns = "default")
    {
        var c = Fixtures.Cgu(["c1"], ["p"], name: name, ns: ns);
        return succeeded is null ? c : c with
        {
            Status = new ClusterGroupUpgradeStatus { Conditions = [new Condition { Type = "Succeeded", Status = succeeded.Value ? "True" : "False" }] },
        };
    }

    [Fact]
    public void Missing_blocking_crs_are_listed()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"], backup: true).WithSpec(s => s with { BlockingCRs = [new("a", "default"), new("b", null), new("done", "default")] }), 1, "p");
        hub.OtherCgus.Add(Other("done", true));
        var d = hub.Decide();
        var c = hub.Condition(ConditionTypes.Progressing)!;
        Assert.Equal(("False", "MissingBlockingCR", "Missing blocking CRs: [a b]"), (c.Status, c.Reason, c.Message));
        Assert.Null(hub.Status.Backup);
        Assert.Equal(TimeSpan.FromSeconds(30), d.RequeueAfter);
    }

    [Fact]
    public void Incomplete_blocking_crs_are_listed_then_release_the_cgu()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"]).WithSpec(s => s with { BlockingCRs = [new("x", "default"), new("y", "other"), new("z", "default")] }), 1, "p");
        hub.OtherCgus.Add(Other("x", null));
        hub.OtherCgus.Add(Other("y", false, "other"));
        hub.OtherCgus.Add(Other("z", true));
        hub.Decide();
        var c = hub.Condition(ConditionTypes.Progressing)!;
        Assert.Equal(("False", "IncompleteBlockingCR", "Blocking CRs that are not completed: [x y]"), (c.Status, c.Reason, c.Message));
        hub.OtherCgus.Clear();
        hub.OtherCgus.Add(Other("x", true));
        hub.OtherCgus.Add(Other("y", true, "other"));
        hub.OtherCgus.Add(Other("z", true));
        hub.Decide();
        Assert.Equal(("True", "InProgress"), (hub.Condition(ConditionTypes.Progressing)!.Status, hub.Condition(ConditionTypes.Progressing)!.Reason));
    }

    [Fact]
    public void The_finalizer_is_added_when_missing()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"], enable: false, withFinalizer: false), 1, "p");
        var d = hub.Decide();
        Assert.Equal(new FinalizerIntent(true, "ran.openshift.io/cleanup-finalizer"), d.Intents[0]);
        var again = hub.Decide();
        Assert.DoesNotContain(again.Intents, i => i is FinalizerIntent);
    }

    [Fact]
    public void Deleting_an_unfinished_cgu_cleans_up_then_releases_the_finalizer()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1", "c2"], ["p"], backup: true), 2, "p");
        hub.Decide();
        hub.Status.Backup!.Status!["c1"] = "Succeeded";
        hub.Status.Backup.Status["c2"] = "Active";
        hub.Cgu = hub.Cgu with { Metadata = hub.Cgu.Metadata with { DeletionTimestamp = hub.Now } };
        var d = hub.Decide();
        var ops = d.Intents.Select(i => i switch
        {
            ApplyIntent a => $"create {a.Namespace}/{a.Kind}/{a.Name}",
            DeleteIntent del => $"delete {del.Namespace}/{del.Kind}/{del.Name}",
            FinalizerIntent f => $"finalizer {f.Add}",
            _ => "?",
        }).ToList();
        Assert.Equal(
        [
            "delete ztp/PlacementBinding/cgu-p-placement-kuttl", "delete ztp/Placement/cgu-p-placement-kuttl",
            "delete c2/ManagedClusterView/view-backup-job", "delete c2/ManagedClusterView/view-backup-namespace",
            "delete c2/ManagedClusterAction/backup-ns-create", "delete c2/ManagedClusterAction/backup-sa-create",
            "delete c2/ManagedClusterAction/backup-crb-create", "delete c2/ManagedClusterAction/backup-job-create",
            "create c2/ManagedClusterAction/backup-ns-delete", "create c2/ManagedClusterAction/backup-crb-delete",
            "finalizer False",
        ], ops);
        Assert.Null(d.RequeueAfter);
        Assert.Empty(hub.Cgu.Metadata.Finalizers!);
    }

    [Fact]
    public void Deleting_a_finished_cgu_only_removes_what_is_left()
    {
        var cgu = Fixtures.Cgu(["c1"], ["p"], backup: true).WithSpec(s => s with { Actions = new CguActions { AfterCompletion = new AfterCompletionActions { DeleteObjects = false } } });
        var hub = Fixtures.Fleet(cgu, 1, "p");
        hub.RunUntilTerminal(TimeSpan.FromSeconds(20), 50);
        hub.Cgu = hub.Cgu with { Metadata = hub.Cgu.Metadata with { DeletionTimestamp = hub.Now } };
        var d = hub.Decide();
        Assert.Equal(["Placement", "PlacementBinding"], d.Intents.OfType<DeleteIntent>().Select(i => i.Kind).Order());
        Assert.DoesNotContain(d.Intents, i => i is ApplyIntent);
        Assert.Contains(d.Intents, i => i is FinalizerIntent { Add: false });
    }

    [Fact]
    public void A_deleted_cgu_without_the_finalizer_gets_no_intents()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"], withFinalizer: false), 1, "p");
        hub.Cgu = hub.Cgu with { Metadata = hub.Cgu.Metadata with { DeletionTimestamp = hub.Now } };
        Assert.Empty(hub.Decide().Intents);
    }

    [Fact]
    public void The_last_condition_is_what_the_printer_shows()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"], backup: true), 1, "p");
        hub.Decide();
        Assert.Equal(["ClustersSelected", "Validated", "Progressing", "BackupSuceeded"], hub.Status.Conditions!.Select(c => c.Type));
        hub.RunUntilTerminal(TimeSpan.FromSeconds(20), 50);
        Assert.Equal("Succeeded", hub.Status.Conditions![^1].Type);
        Assert.Equal(["ClustersSelected", "Validated", "BackupSuceeded", "Progressing", "Succeeded"], hub.Status.Conditions!.Select(c => c.Type));
    }

    [Fact]
    public void Intents_carry_enough_for_a_generic_executor()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"], backup: true), 1, "p");
        var d = hub.Decide();
        foreach (var a in d.Intents.OfType<ApplyIntent>())
        {
            Assert.NotNull(a.KindInfo);
            var json = a.ToJson();
            Assert.Equal((a.ApiVersion, a.Kind, a.Name), ((string?)json["apiVersion"], (string?)json["kind"], (string?)json["metadata"]!["name"]));
            Assert.Equal(a.Namespace, (string?)json["metadata"]!["namespace"]);
        }
        var placement = d.Intents.OfType<ApplyIntent>().First(a => a.Kind == "Placement");
        Assert.Equal("/apis/cluster.open-cluster-management.io/v1beta1/namespaces/ztp/placements", placement.KindInfo!.CollectionPath(placement.Namespace));
        Assert.Contains(d.Intents, i => i is DeleteIntent { KindInfo.Plural: "managedclusterviews" });
        _ = typeof(Placement);
    }
}
