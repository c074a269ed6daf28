namespace Talm.Engine.Tests;

/// <summary>
/// The running upgrade (Reconcile's Progressing branch, updateCurrentBatchProgress, getNextNonCompliantPolicyForCluster,
/// ShouldSoak, CalculateBatchTimeout, handleBatchTimeout, remediateLastBatch, arePreviousBatchesCompleteForPolicies,
/// checkPlacementsSatisfied): batch by batch, soaking, timeouts and their reports.
/// </summary>
public sealed class BatchTests
{
    private const string ViewsGone = "deleteall ManagedClusterView {0} openshift-cluster-group-upgrades/clusterGroupUpgrade=cgu,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default";
    private const string ActionsGone = "deleteall ManagedClusterAction {0} openshift-cluster-group-upgrades/clusterGroupUpgrade=default-cgu";

    /// <summary>A CGU over c1..cN started: batch 1 running at <see cref="FakeHub.T0"/>.</summary>
    private static FakeHub Started(int clusters, int maxConcurrency, int timeout = 240, string[]? canaries = null, string? action = null, params string[] policies)
    {
        var hub = Fixtures.Hub(clusters: clusters, maxConcurrency: maxConcurrency, timeout: timeout, canaries: canaries, batchTimeoutAction: action, policies: policies);
        hub.Settle();
        Assert.Equal(1, hub.Progress.CurrentBatch);
        return hub;
    }

    private static void At(FakeHub hub, TimeSpan sinceStart) => SetNow(hub, FakeHub.T0 + sinceStart);

    private static void SetNow(FakeHub hub, DateTimeOffset when) => hub.Clock.SetUtcNow(when);

    [Theory]
    [InlineData(60, 3, 20)]
    [InlineData(60, 2, 30)]
    [InlineData(240, 4, 60)]
    public void A_batch_has_its_share_of_the_time_left_and_then_times_out(int timeout, int batches, int minutes)
    {
        var hub = Started(batches, 1, timeout);
        At(hub, TimeSpan.FromMinutes(minutes));
        var d = hub.Decide();
        Assert.Equal(1, hub.Progress.CurrentBatch);
        Assert.Null(hub.Status.Clusters);
        // Ours: looked at again as the batch's share runs out (the reference's next look is its 5-minute one).
        Assert.Equal(TimeSpan.FromSeconds(1), d.RequeueAfter);
        At(hub, TimeSpan.FromMinutes(minutes) + TimeSpan.FromSeconds(1));
        d = hub.Decide();
        Assert.Equal(2, hub.Progress.CurrentBatch);
        Assert.Null(hub.Progress.CurrentBatchStartedAt);
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        Assert.Equal([new ClusterResult { Name = "c1", State = "timedout", CurrentPolicy = new PolicyStatusRef { Name = "p", Status = "NonCompliant" } }], hub.Status.Clusters);
        Assert.Equal([string.Format(null, ViewsGone, "c1"), string.Format(null, ActionsGone, "c1")], Show.Ops(d, "c1"));
        var e = Assert.Single(d.Events);
        Assert.Equal("Warning CguTimedout RemediationInBatchTimeout: ClusterGroupUpgrade cgu: some clusters in the batch index 1 timed out remediating policies", Show.Events(d)[0]);
        Assert.Equal($"cgu.openshift.io/batch-clusters-count=1 cgu.openshift.io/event-type=batch cgu.openshift.io/timedout-clusters=c1 cgu.openshift.io/timedout-clusters-count=1 cgu.openshift.io/total-clusters-count={batches}", Show.Annotations(e));
        Assert.Equal("Progressing True InProgress: Remediating non-compliant policies", Show.Last(hub));
    }

    [Fact]
    public void The_next_batch_shares_what_the_first_left()
    {
        var hub = Started(3, 1, timeout: 60);
        At(hub, TimeSpan.FromMinutes(6));
        hub.Root("p").Compliance["c1"] = "Compliant";
        hub.Settle(); // batch 2 starts at minute 6: (60 - 6) / 2 = 27 minutes
        Assert.Equal((2, FakeHub.T0.AddMinutes(6)), (hub.Progress.CurrentBatch, hub.Progress.CurrentBatchStartedAt));
        At(hub, TimeSpan.FromMinutes(6 + 27));
        hub.Decide();
        Assert.Equal(2, hub.Progress.CurrentBatch);
        At(hub, TimeSpan.FromMinutes(6 + 27) + TimeSpan.FromSeconds(1));
        hub.Decide();
        Assert.Equal(3, hub.Progress.CurrentBatch);
    }

    [Fact]
    public void Only_the_clusters_still_in_progress_are_reported_timed_out()
    {
        // kuttl upgrade-partial-batch-timeout: spoke1 done, spoke4 still on its first policy.
        var hub = Started(3, 2, timeout: 60, policies: ["p1", "p2"]);
        hub.Root("p1").Compliance["c1"] = "Compliant";
        hub.Root("p2").Compliance["c1"] = "Compliant";
        hub.Root("p1").Compliance["c2"] = "Compliant";
        At(hub, TimeSpan.FromMinutes(1));
        hub.Decide();
        Assert.Equal(["Completed", "InProgress"], hub.Progress.CurrentBatchRemediationProgress!.OrderBy(p => p.Key).Select(p => p.Value.State));
        At(hub, TimeSpan.FromMinutes(31));
        var d = hub.Decide();
        Assert.Equal(
        [
            new ClusterResult { Name = "c1", State = "complete" },
            new ClusterResult { Name = "c2", State = "timedout", CurrentPolicy = new PolicyStatusRef { Name = "p2", Status = "NonCompliant" } },
        ], hub.Status.Clusters);
        Assert.DoesNotContain(Show.Ops(d, "c1"), o => o.StartsWith("deleteall", StringComparison.Ordinal));
        Assert.Equal("cgu.openshift.io/batch-clusters-count=2 cgu.openshift.io/event-type=batch cgu.openshift.io/timedout-clusters=c2 cgu.openshift.io/timedout-clusters-count=1 cgu.openshift.io/total-clusters-count=3",
            Show.Annotations(d.Events.Single(e => e.Action == "RemediationInBatchTimeout")));
    }

    [Fact]
    public void Abort_ends_the_cgu_when_a_batch_times_out()
    {
        var hub = Started(2, 1, timeout: 60, action: "Abort");
        At(hub, TimeSpan.FromMinutes(31));
        var d = hub.Decide();
        Assert.Equal(
        [
            "Progressing False TimedOut: Policy remediation took too long on some clusters",
            "Succeeded False TimedOut: Policy remediation took too long on some clusters",
        ], Show.Conditions(hub)[2..]);
        Assert.Equal(1, hub.Progress.CurrentBatch);
        Assert.Equal("timedout", hub.Status.Clusters![0].State);
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        d = hub.Decide();
        Assert.Equal(["Warning CguTimedout RemediationTimeout: ClusterGroupUpgrade cgu timed-out remediating policies"], Show.Events(d));
        Assert.Equal("cgu.openshift.io/event-type=global cgu.openshift.io/timedout-clusters=c1 cgu.openshift.io/timedout-clusters-count=1 cgu.openshift.io/total-clusters-count=2", Show.Annotations(d.Events[0]));
        Assert.NotNull(hub.Progress.CompletedAt);
        Assert.Equal(0, hub.Progress.CurrentBatch);
    }

    [Fact]
    public void A_canary_batch_that_times_out_ends_the_cgu_without_a_cluster_report()
    {
        var hub = Started(3, 2, timeout: 60, canaries: ["c2"]);
        Assert.Equal([["c2"], ["c1", "c3"]], hub.Status.RemediationPlan);
        At(hub, TimeSpan.FromMinutes(31));
        var d = hub.Decide();
        Assert.Equal(
        [
            "Progressing False TimedOut: Policy remediation took too long on canary clusters",
            "Succeeded False TimedOut: Policy remediation took too long on canary clusters",
        ], Show.Conditions(hub)[2..]);
        Assert.Null(hub.Status.Clusters);
        Assert.Empty(Show.Ops(d, "c2"));
        Assert.Empty(d.Events);
    }

    [Fact]
    public void When_the_whole_timeout_is_spent_the_current_batch_is_reported_and_the_cgu_ends()
    {
        // kuttl upgrade-batch-timeout 03: the last batch has no share of its own, only the CGU's timeout.
        var hub = Started(2, 1, timeout: 60);
        hub.Root("p").Compliance["c1"] = "Compliant";
        At(hub, TimeSpan.FromMinutes(1));
        hub.Settle();
        Assert.Equal(2, hub.Progress.CurrentBatch);
        At(hub, TimeSpan.FromMinutes(60));
        hub.Decide();
        Assert.Equal("Progressing True InProgress: Remediating non-compliant policies", Show.Last(hub));
        At(hub, TimeSpan.FromMinutes(60) + TimeSpan.FromSeconds(1));
        var d = hub.Decide();
        Assert.Equal(
        [
            "Progressing False TimedOut: Policy remediation took too long",
            "Succeeded False TimedOut: Policy remediation took too long",
        ], Show.Conditions(hub)[2..]);
        Assert.Equal(["complete", "timedout"], hub.Status.Clusters!.Select(c => c.State));
        Assert.Equal(new PolicyStatusRef { Name = "p", Status = "NonCompliant" }, hub.Status.Clusters![1].CurrentPolicy);
        Assert.Equal([string.Format(null, ViewsGone, "c2"), string.Format(null, ActionsGone, "c2")], Show.Ops(d, "c2"));
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
    }

    [Fact]
    public void A_cluster_missing_from_the_progress_map_at_the_timeout_is_reported_without_a_policy()
    {
        var hub = Started(2, 2, timeout: 10);
        hub.PatchStatus(s => s.Status!.CurrentBatchRemediationProgress!.Remove("c2"));
        At(hub, TimeSpan.FromMinutes(11));
        hub.Decide();
        Assert.Equal(new ClusterResult { Name = "c2", State = "timedout" }, hub.Status.Clusters!.Single(c => c.Name == "c2"));
        Assert.Equal("p", hub.Status.Clusters!.Single(c => c.Name == "c1").CurrentPolicy!.Name);
    }

    [Fact]
    public void A_timed_out_batch_does_not_block_the_next_but_the_cgu_waits_for_it_at_the_end()
    {
        // kuttl timeout-not-block-next-batch.
        var hub = Started(2, 1, timeout: 10);
        At(hub, TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        hub.Decide();
        Assert.Equal(2, hub.Progress.CurrentBatch);
        hub.Root("p").Compliance["c2"] = "Compliant";
        hub.Settle();
        // c2 is done, but c1 of the earlier batch is not compliant: the CGU is not complete.
        Assert.Equal(["timedout", "complete"], hub.Status.Clusters!.Select(c => c.State));
        Assert.Equal("Progressing True InProgress: Remediating non-compliant policies", Show.Last(hub));
        At(hub, TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        hub.Decide();
        Assert.Equal("Succeeded False TimedOut: Policy remediation took too long", Show.Last(hub));
    }

    [Fact]
    public void On_the_last_batch_every_earlier_cluster_must_still_be_compliant()
    {
        var hub = Started(2, 1, policies: ["p1", "p2"]);
        hub.Root("p1").Compliance["c1"] = "Compliant";
        hub.Root("p2").Compliance["c1"] = "Compliant";
        hub.Settle();
        Assert.Equal(2, hub.Progress.CurrentBatch);
        hub.Root("p2").Compliance["c1"] = "NonCompliant"; // drifted after its batch
        hub.Root("p1").Compliance["c2"] = "Compliant";
        hub.Root("p2").Compliance["c2"] = "Compliant";
        var d = hub.Settle();
        Assert.Equal("Progressing True InProgress: Remediating non-compliant policies", Show.Last(hub));
        Assert.Equal(["c1", "c2"], hub.Status.Clusters!.Select(c => c.Name));
        // c1 is not placed again: only the current batch is remediated.
        Assert.DoesNotContain(hub.All<Placement>(), p => p.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0].Values?.Contains("c1") == true);
        Assert.Equal(TimeSpan.FromMinutes(5), d.RequeueAfter);
        hub.Root("p2").Compliance["c1"] = "Compliant";
        hub.Settle();
        Assert.Equal("Succeeded True Completed: All clusters are compliant with all the managed policies", Show.Last(hub));
    }

    public static TheoryData<string?, int[]> Soaks => new()
    {
        // soak-seconds → seconds after becoming compliant at which the cluster is still held (then it moves on at +1)
        { "60", [0, 30, 60] },
        { "0", [0] },
        { null, [] },
        { "abc", [] },
        { "-1", [] },
    };

    [Theory]
    [MemberData(nameof(Soaks))]
    public void A_policy_with_soak_seconds_holds_a_compliant_cluster_that_long(string? soak, int[] held)
    {
        var hub = Fixtures.Hub(clusters: 1, policies: ["p", "q"]);
        if (soak is not null)
            hub.Root("p").Annotations["ran.openshift.io/soak-seconds"] = soak;
        hub.Settle();
        hub.Root("p").Compliance["c1"] = "Compliant";
        var becameCompliant = hub.Now;
        foreach (var seconds in held)
        {
            SetNow(hub, becameCompliant + TimeSpan.FromSeconds(seconds));
            var d = hub.Decide();
            var progress = hub.Progress.CurrentBatchRemediationProgress!["c1"];
            Assert.Equal((0, becameCompliant), (progress.PolicyIndex, progress.FirstCompliantAt));
            Assert.Equal(TimeSpan.FromSeconds(30), d.RequeueAfter);
        }
        SetNow(hub, becameCompliant + TimeSpan.FromSeconds((held.Length == 0 ? 0 : held[^1]) + 1));
        hub.Decide();
        var after = hub.Progress.CurrentBatchRemediationProgress!["c1"];
        Assert.Equal((1, (DateTimeOffset?)null), (after.PolicyIndex, after.FirstCompliantAt));
    }

    [Fact]
    public void Falling_out_of_compliance_while_soaking_starts_the_soak_again()
    {
        var hub = Fixtures.Hub(clusters: 1, policies: ["p", "q"]);
        hub.Root("p").Annotations["ran.openshift.io/soak-seconds"] = "60";
        hub.Settle();
        hub.Root("p").Compliance["c1"] = "Compliant";
        hub.Decide();
        Assert.NotNull(hub.Progress.CurrentBatchRemediationProgress!["c1"].FirstCompliantAt);
        hub.Clock.Advance(TimeSpan.FromSeconds(40));
        hub.Root("p").Compliance["c1"] = "NonCompliant";
        hub.Decide();
        Assert.Null(hub.Progress.CurrentBatchRemediationProgress!["c1"].FirstCompliantAt);
        hub.Clock.Advance(TimeSpan.FromSeconds(40));
        hub.Root("p").Compliance["c1"] = "Compliant";
        hub.Decide();
        Assert.Equal(hub.Now, hub.Progress.CurrentBatchRemediationProgress!["c1"].FirstCompliantAt);
        hub.Clock.Advance(TimeSpan.FromSeconds(30));
        hub.Decide();
        Assert.Equal(0, hub.Progress.CurrentBatchRemediationProgress!["c1"].PolicyIndex);
    }

    [Fact]
    public void A_placement_without_a_cluster_set_binding_shows_as_waiting_for_placement()
    {
        var hub = Started(2, 1); // not on the last batch, which does not look at placements
        var placement = hub.Get<Placement>("ztp", "cgu-p-placement-kuttl")!;
        hub.Put(placement with
        {
            Status = Views.Json("""{"conditions":[{"type":"PlacementSatisfied","status":"False","reason":"NoManagedClusterSetBindings","message":"No valid ManagedClusterSetBindings found in placement namespace"}]}"""),
        });
        hub.Clock.Advance(TimeSpan.FromMinutes(1));
        hub.Decide();
        Assert.Equal("Progressing True WaitingForPlacement: Placement \"cgu-p-placement-kuttl\" in namespace \"ztp\" cannot select clusters: No valid ManagedClusterSetBindings found in placement namespace. " +
                     "Create a ManagedClusterSetBinding for the \"default\" ManagedClusterSet in the policy namespace.", Show.Last(hub));
        hub.Put(placement with { Status = Views.Json("""{"conditions":[{"type":"PlacementSatisfied","status":"True","reason":"AllDecisionsScheduled"}]}""") });
        hub.Clock.Advance(TimeSpan.FromMinutes(1));
        hub.Decide();
        Assert.Equal("Progressing True InProgress: Remediating non-compliant policies", Show.Last(hub));
    }

    [Fact]
    public void A_batch_is_checked_again_five_minutes_after_it_started()
    {
        var hub = Started(2, 1);
        hub.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(TimeSpan.FromMinutes(3), hub.Decide().RequeueAfter);
        hub.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(TimeSpan.FromMinutes(5), hub.Decide().RequeueAfter);
    }

    [Fact]
    public void A_root_policy_deleted_mid_upgrade_fails_the_reconcile()
    {
        var hub = Started(1, 1);
        hub.Root("p").RootMissing = true;
        var d = hub.Decide();
        Assert.Equal("policies.policy.open-cluster-management.io \"p\" not found", d.Error);
        Assert.False(d.StatusChanged);
    }
}
