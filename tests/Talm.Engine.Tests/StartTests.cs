namespace Talm.Engine.Tests;

/// <summary>
/// What stands between a valid CGU and its first batch (Reconcile's preparing branch): the enable
/// gate, blocking CRs (blockingCRsNotCompleted, filterNonCompletedClustersInBlockingCRs), and the
/// cluster actions taken as it starts (performAfterCompletionActions, takeActionsBeforeEnable).
/// </summary>
public sealed class StartTests
{
    private static readonly string[] Clusters = ["spoke1", "spoke2", "spoke3"];

    private static FakeHub Hub(bool enable = true, string compliance = "NonCompliant", CguActions? actions = null, IReadOnlyList<NamespacedName>? blocking = null, params (string, string)[] annotations)
    {
        var cgu = Fixtures.Cgu(Clusters, ["p"], maxConcurrency: 3, enable: enable)
            .WithSpec(s => s with { Actions = actions, BlockingCRs = blocking });
        if (annotations.Length > 0)
            cgu = cgu.WithAnnotations(annotations);
        var hub = new FakeHub(cgu).Clusters(Clusters);
        hub.Policy("p", compliance, Clusters);
        return hub;
    }

    [Fact]
    public void An_already_compliant_cgu_waits_not_enabled_then_completes_with_its_after_completion_actions()
    {
        // kuttl upgrade-starts-complete.
        var actions = new CguActions { AfterCompletion = new AfterCompletionActions { AddClusterLabels = Show.Map(("ztp-done", "")) } };
        var hub = Hub(enable: false, compliance: "Compliant", actions: actions);
        var d = hub.Settle();
        Assert.Equal("Progressing False NotEnabled: Not enabled", Show.Last(hub));
        Assert.Equal(["p"], hub.Status.ManagedPoliciesCompliantBeforeUpgrade);
        Assert.Null(hub.Status.Clusters);
        Assert.Empty(hub.ClusterChanges);
        Assert.Equal(TimeSpan.FromMinutes(5), d.RequeueAfter);

        hub.Cgu = hub.Cgu.WithSpec(s => s with { Enable = true });
        hub.Settle();
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            "Validated True ValidationCompleted: Completed validation",
            "Progressing False Completed: All clusters are compliant with all the managed policies",
            "Succeeded True Completed: All clusters already compliant with the specified managed policies",
        ], Show.Conditions(hub));
        Assert.Equal(Clusters, hub.Status.Clusters!.Select(c => c.Name));
        Assert.All(Clusters, c => Assert.Equal("", hub.ManagedClusters[c].Metadata.Labels!["ztp-done"]));
        Assert.Equal(["CguStarted", "CguSuccess"], hub.Events.Where(e => e.Reason != "CguValidationFailure").Select(e => e.Reason).Distinct());
    }

    [Fact]
    public void Cluster_actions_add_and_remove_labels_and_annotations_and_pass_over_clusters_that_are_gone()
    {
        var actions = new CguActions
        {
            BeforeEnable = new ClusterActions
            {
                AddClusterLabels = Show.Map(("upgrading", "yes")),
                AddClusterAnnotations = Show.Map(("note", "begin")),
            },
            AfterCompletion = new AfterCompletionActions
            {
                AddClusterLabels = Show.Map(("ztp-done", "")),
                DeleteClusterLabels = Show.Map(("upgrading", "ignored value")),
                RemoveClusterLabels = ["upgrading", "old"],
                RemoveClusterAnnotations = ["note"],
            },
        };
        var hub = Hub(actions: actions);
        hub.Root("p").Compliance["spoke3"] = "Compliant";
        hub.RemoveCluster("spoke2");
        hub.Cgu = hub.Cgu.WithSpec(s => s with { Clusters = ["spoke1", "spoke3"] });
        hub.Settle();
        Assert.Equal(
        [
            "cluster spoke3 +ztp-done= -upgrading -old -@note",
            "cluster spoke1 +upgrading=yes +@note=begin",
        ], hub.Decisions.SelectMany(d => Show.Ops(d)).Where(o => o.StartsWith("cluster", StringComparison.Ordinal)));
        // A cluster deleted between selection and its actions is passed over.
        hub.RemoveCluster("spoke1");
        hub.Root("p").Compliance["spoke1"] = "Compliant";
        var d = hub.Decide();
        Assert.DoesNotContain(Show.Ops(d), o => o.StartsWith("cluster", StringComparison.Ordinal));
        Assert.Equal(["spoke3", "spoke1"], hub.Status.Clusters!.Select(c => c.Name));
    }

    [Fact]
    public void Nothing_is_done_to_clusters_while_not_enabled()
    {
        var actions = new CguActions { BeforeEnable = new ClusterActions { AddClusterLabels = Show.Map(("x", "y")) } };
        var hub = Hub(enable: false, actions: actions);
        hub.Settle();
        Assert.Empty(hub.ClusterChanges);
        Assert.Equal("{}", Show.Json(hub.Progress));
        Assert.Equal(["ClustersSelected", "Validated", "Progressing"], hub.Status.Conditions!.Select(c => c.Type));
    }

    private static ClusterGroupUpgrade Other(string name, string? succeeded, params (string Cluster, string State)[] clusters) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "default" },
        Status = new ClusterGroupUpgradeStatus
        {
            Conditions = succeeded is null ? [new Condition { Type = "Progressing", Status = "True" }] : [new Condition { Type = "Succeeded", Status = succeeded }],
            Clusters = clusters.Length == 0 ? null : [.. clusters.Select(c => new ClusterResult { Name = c.Cluster, State = c.State })],
        },
    };

    public static TheoryData<string, string, bool, string> Blocking => new()
    {
        // others: name:succeeded (T, F, - running, ? no conditions, absent when not listed)
        { "all blocking CGUs succeeded", "a:T b:T", false, "" },
        { "one missing", "a:T", false, "MissingBlockingCR: Missing blocking CRs: [b]" },
        { "missing wins over not completed", "a:-", false, "MissingBlockingCR: Missing blocking CRs: [b]" },
        { "running", "a:- b:T", false, "IncompleteBlockingCR: Blocking CRs that are not completed: [a]" },
        { "failed", "a:F b:F", false, "IncompleteBlockingCR: Blocking CRs that are not completed: [a b]" },
        { "no conditions at all", "a:? b:T", false, "IncompleteBlockingCR: Blocking CRs that are not completed: [a]" },
        { "partial mode: failed counts as ended", "a:F b:T", true, "" },
        { "partial mode: running does not", "a:F b:-", true, "IncompleteBlockingCR: Blocking CRs that are not completed: [b]" },
    };

    [Theory]
    [MemberData(nameof(Blocking))]
    public void A_cgu_starts_only_after_its_blocking_cgus_have_finished(string what, string others, bool partial, string expected)
    {
        (string, string)[] annotations = partial ? [("ran.openshift.io/blocking-cgu-completion-mode", "partial")] : [];
        var hub = Hub(blocking: [new NamespacedName("a", "default"), new NamespacedName("b", "default")], annotations: annotations);
        foreach (var o in others.Split(' '))
        {
            var (name, state) = (o[..1], o[2..]);
            var other = Other(name, state switch { "T" => "True", "F" => "False", _ => null });
            if (state == "?")
                other = other with { Status = new ClusterGroupUpgradeStatus() };
            hub.OtherCgus.Add(other);
        }
        var d = hub.Settle();
        Assert.NotNull(what);
        if (expected == "")
        {
            Assert.Equal("Progressing True InProgress: Remediating non-compliant policies", Show.Last(hub));
            return;
        }
        Assert.Equal($"Progressing False {expected}", Show.Last(hub));
        Assert.Equal(TimeSpan.FromMinutes(1), d.RequeueAfter);
        Assert.NotNull(hub.Progress.StartedAt);
        Assert.Null(hub.Status.Clusters);
        Assert.Contains(d.Events, e => e.Reason == "CguStarted" && e.Action == "RemediationStarted"); // sent on every pass, as the reference does
    }

    [Fact]
    public void With_cluster_filtering_only_clusters_every_blocking_cgu_completed_are_upgraded()
    {
        var hub = Hub(blocking: [new NamespacedName("a", "default"), new NamespacedName("b", "default")],
            annotations: [("ran.openshift.io/blocking-cgu-completion-mode", "partial"), ("ran.openshift.io/blocking-cgu-cluster-filtering", "true")]);
        hub.OtherCgus.Add(Other("a", "False", ("spoke3", "complete"), ("spoke1", "complete"), ("spoke2", "timedout")));
        hub.OtherCgus.Add(Other("b", "True", ("spoke1", "complete"), ("spoke3", "complete"), ("spoke2", "complete")));
        hub.Settle();
        Assert.Equal([["spoke1", "spoke3"]], hub.Status.RemediationPlan);
        Assert.Equal("Progressing True InProgress: Remediating non-compliant policies", Show.Last(hub));
    }

    [Fact]
    public void With_cluster_filtering_and_no_cluster_left_the_cgu_fails()
    {
        var hub = Hub(blocking: [new NamespacedName("a", "default")],
            annotations: [("ran.openshift.io/blocking-cgu-completion-mode", "partial"), ("ran.openshift.io/blocking-cgu-cluster-filtering", "true")]);
        hub.OtherCgus.Add(Other("a", "False", ("spoke1", "timedout")));
        var d = hub.Settle();
        const string message = "No clusters available for remediation after filtering out non-completed clusters from blocking CGUs";
        Assert.Equal($"Progressing False Completed: {message}", Show.Conditions(hub)[^2]);
        Assert.Equal($"Succeeded False Failed: {message}", Show.Last(hub));
        Assert.Equal(TimeSpan.FromSeconds(30), d.RequeueAfter);
        // The next pass finishes it (completedAt, the timed-out event).
        hub.Decide();
        Assert.NotNull(hub.Progress.CompletedAt);
        Assert.Equal("CguTimedout", hub.Events[^1].Reason);
    }

    [Fact]
    public void Cluster_filtering_needs_the_partial_mode_too()
    {
        var hub = Hub(blocking: [new NamespacedName("a", "default")], annotations: [("ran.openshift.io/blocking-cgu-cluster-filtering", "true")]);
        hub.OtherCgus.Add(Other("a", "True", ("spoke1", "complete")));
        hub.Settle();
        Assert.Equal([[.. Clusters]], hub.Status.RemediationPlan);
    }
}
