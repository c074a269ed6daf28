using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Engine.Reconcile;
using Talm.Engine.Model;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

public sealed class BatchTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData(0, 1, 48)]
    [InlineData(40, 2, 50)]
    [InlineData(100, 5, 140)]
    [InlineData(0, 5, 240)]
    public void Batch_budget_is_the_remaining_time_shared_by_the_remaining_batches(int batchStartMinute, int batch, int expectedMinutes)
    {
        var budget = Batches.BatchTimeout(TimeSpan.FromMinutes(240), FakeHub.T0, FakeHub.T0.AddMinutes(batchStartMinute), 5, batch);
        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), budget);
    }

    private static FakeHub Stuck(int clusters, string? action = null, string[]? canaries = null, int timeout = 240)
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(Fixtures.Names(clusters), ["p"], maxConcurrency: 1, batchTimeoutAction: action, canaries: canaries, timeout: timeout), clusters, "p");
        foreach (var n in Fixtures.Names(clusters))
            hub.RemediationTicks[n] = -1;
        return hub;
    }

    [Fact]
    public void A_batch_times_out_after_its_share_and_continue_moves_on()
    {
        var hub = Stuck(5);
        hub.Decide();
        hub.Clock.Advance(48 * Minute);
        hub.Decide();
        Assert.Equal(1, hub.Status.Status!.CurrentBatch);
        Assert.Null(hub.Status.Clusters is { Count: > 0 } ? hub.Status.Clusters : null);
        hub.Clock.Advance(TimeSpan.FromSeconds(1));
        var d = hub.Decide();
        Assert.Equal(2, hub.Status.Status!.CurrentBatch);
        Assert.Equal(hub.Now, hub.Status.Status.CurrentBatchStartedAt);
        Assert.Equal([new ClusterResult { Name = "c1", State = "timedout", CurrentPolicy = new PolicyStatusRef { Name = "p", Status = "NonCompliant" } }], hub.Status.Clusters!);
        Assert.Contains(d.Events, e => e.Kind == EngineEventKind.BatchTimedOut && e.Detail == "1");
        Assert.Contains(d.Events, e => e.Kind == EngineEventKind.BatchStarted && e.Detail == "2");
        Assert.Equal(["c2"], hub.Status.Status.CurrentBatchRemediationProgress!.Keys);
        Assert.Equal("True", hub.Condition(ConditionTypes.Progressing)!.Status);
        // Batch 2 started at +48m01s: (240 - 48m01s) / 4.
        hub.Clock.Advance(Batches.BatchTimeout(TimeSpan.FromMinutes(240), FakeHub.T0, hub.Now, 5, 2));
        hub.Decide();
        Assert.Equal(2, hub.Status.Status.CurrentBatch);
        hub.Clock.Advance(TimeSpan.FromSeconds(1));
        hub.Decide();
        Assert.Equal(3, hub.Status.Status.CurrentBatch);
    }

    [Theory]
    [InlineData("Abort", null, "Policy remediation took too long: on some clusters")]
    [InlineData("Continue", new[] { "c1" }, "Policy remediation took too long: on canary clusters")]
    [InlineData("Abort", new[] { "c1" }, "Policy remediation took too long: on canary clusters")]
    public void Batch_timeout_fails_the_cgu_on_abort_or_on_a_canary(string action, string[]? canaries, string message)
    {
        var hub = Stuck(5, action, canaries);
        hub.Decide();
        hub.Clock.Advance(49 * Minute);
        var d = hub.Decide();
        foreach (var type in new[] { ConditionTypes.Progressing, ConditionTypes.Succeeded })
        {
            var c = hub.Condition(type)!;
            Assert.Equal(("False", "TimedOut", message), (c.Status, c.Reason, c.Message));
        }
        Assert.Equal("Succeeded", hub.Status.Conditions![^1].Type);
        Assert.Equal(hub.Now, hub.Status.Status!.CompletedAt);
        Assert.Equal("timedout", Assert.Single(hub.Status.Clusters!).State);
        Assert.Contains(d.Events, e => e.Kind == EngineEventKind.TimedOut && e.Warning);
        Assert.Null(d.RequeueAfter);
        Assert.Empty(hub.Objects.OfType<Placement>());
    }

    [Fact]
    public void An_unknown_batch_timeout_action_behaves_as_continue()
    {
        var hub = Stuck(3, "Explode");
        hub.Decide();
        hub.Clock.Advance(81 * Minute);
        hub.Decide();
        Assert.Equal(2, hub.Status.Status!.CurrentBatch);
        Assert.Null(hub.Condition(ConditionTypes.Succeeded));
    }

    [Fact]
    public void The_overall_timeout_ends_the_cgu()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1", "c2"], ["p"], maxConcurrency: 2, timeout: 30), 2, "p");
        hub.RemediationTicks["c2"] = -1;
        hub.Decide();
        hub.Tick();
        hub.Clock.Advance(30 * Minute);
        hub.Decide();
        Assert.Null(hub.Condition(ConditionTypes.Succeeded));
        hub.Clock.Advance(TimeSpan.FromSeconds(1));
        hub.Decide();
        var c = hub.Condition(ConditionTypes.Succeeded)!;
        Assert.Equal(("False", "TimedOut", "Policy remediation took too long"), (c.Status, c.Reason, c.Message));
        Assert.Equal(["complete", "timedout"], hub.Status.Clusters!.OrderBy(r => r.Name).Select(r => r.State));
    }

    [Fact]
    public void The_last_batch_timing_out_with_continue_ends_timed_out()
    {
        var hub = Stuck(1);
        hub.Decide();
        hub.Clock.Advance(241 * Minute);
        hub.Decide();
        Assert.Equal(("TimedOut", "Policy remediation took too long"), (hub.Condition(ConditionTypes.Succeeded)!.Reason, hub.Condition(ConditionTypes.Succeeded)!.Message));
    }

    [Fact]
    public void Completion_applies_actions_and_reports_success()
    {
        var cgu = Fixtures.Cgu(["c1", "c2", "c3"], ["p1", "p2"], maxConcurrency: 2).WithSpec(s => s with
        {
            Actions = new CguActions
            {
                BeforeEnable = new ClusterActions { AddClusterLabels = new Dictionary<string, string> { ["upgrading"] = "" }, DeleteClusterLabels = new Dictionary<string, string> { ["old"] = "" } },
                AfterCompletion = new AfterCompletionActions { RemoveClusterLabels = ["upgrading"], AddClusterAnnotations = new Dictionary<string, string> { ["done"] = "yes" }, RemoveClusterAnnotations = ["wip"] },
            },
        });
        var hub = Fixtures.Fleet(cgu, 3, "p1", "p2");
        var steps = hub.RunUntilTerminal(Minute, 30);
        Assert.True(steps < 30);
        foreach (var type in new[] { ConditionTypes.Progressing, ConditionTypes.Succeeded })
        {
            var c = hub.Condition(type)!;
            Assert.Equal(("Completed", "All clusters are compliant with all the managed policies"), (c.Reason, c.Message));
        }
        Assert.Equal(("False", "True"), (hub.Condition(ConditionTypes.Progressing)!.Status, hub.Condition(ConditionTypes.Succeeded)!.Status));
        Assert.Equal(["c1", "c2", "c3"], hub.Status.Clusters!.Select(c => c.Name));
        Assert.All(hub.Status.Clusters!, c => Assert.Equal("complete", c.State));
        Assert.NotNull(hub.Status.Status!.CompletedAt);
        Assert.Equal(2, hub.Status.Status.CurrentBatch);

        var before = hub.ClusterChanges.Take(3).ToList();
        Assert.Equal(["c1", "c2", "c3"], before.Select(c => c.Cluster));
        Assert.All(before, c => Assert.Equal(("", "old"), (c.AddLabels["upgrading"], Assert.Single(c.RemoveLabels))));
        var after = hub.ClusterChanges.Skip(3).ToList();
        Assert.Equal(["c1", "c2", "c3"], after.Select(c => c.Cluster));
        Assert.All(after, c => Assert.Equal(("upgrading", "yes", "wip"), (Assert.Single(c.RemoveLabels), c.AddAnnotations["done"], Assert.Single(c.RemoveAnnotations))));
        Assert.Empty(hub.Objects.OfType<Placement>());
        Assert.Contains(hub.Decisions.SelectMany(d => d.Events), e => e.Kind == EngineEventKind.Completed);
    }

    [Fact]
    public void With_delete_objects_false_the_placements_stay()
    {
        var cgu = Fixtures.Cgu(["c1"], ["p"]).WithSpec(s => s with { Actions = new CguActions { AfterCompletion = new AfterCompletionActions { DeleteObjects = false } } });
        var hub = Fixtures.Fleet(cgu, 1, "p");
        hub.RunUntilTerminal(Minute, 10);
        Assert.Equal("True", hub.Condition(ConditionTypes.Succeeded)!.Status);
        Assert.Single(hub.Objects.OfType<Placement>());
        Assert.Single(hub.Objects.OfType<PlacementBinding>());
    }

    [Fact]
    public void A_terminal_cgu_is_left_alone()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"]), 1, "p");
        hub.RunUntilTerminal(Minute, 10);
        var before = hub.Status;
        hub.Clock.Advance(TimeSpan.FromDays(1));
        var d = hub.Decide();
        Assert.False(d.StatusChanged);
        Assert.Empty(d.Intents);
        Assert.Null(d.RequeueAfter);
        Assert.Same(before.Conditions![^1].Message, d.Status.Conditions![^1].Message);
    }

    [Fact]
    public void Clusters_advance_through_policies_in_order_and_batches_wait_for_all()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1", "c2", "c3"], ["p1", "p2"], maxConcurrency: 2), 3, "p1", "p2");
        hub.RemediationTicks["c2"] = 3;
        hub.Decide();
        hub.Tick();
        hub.Decide();
        var progress = hub.Status.Status!.CurrentBatchRemediationProgress!;
        Assert.Equal(("InProgress", 1), (progress["c1"].State, progress["c1"].PolicyIndex));
        Assert.Equal(("InProgress", 0), (progress["c2"].State, progress["c2"].PolicyIndex));
        hub.Tick();
        hub.Decide();
        Assert.Equal("Completed", hub.Status.Status.CurrentBatchRemediationProgress!["c1"].State);
        Assert.Equal(1, hub.Status.Status.CurrentBatch);
        for (var i = 0; i < 4; i++)
        {
            hub.Tick();
            hub.Decide();
        }
        Assert.Equal(2, hub.Status.Status.CurrentBatch);
    }

    [Fact]
    public void A_cluster_that_disappears_mid_upgrade_does_not_stall_the_cgu()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1", "c2"], ["p"], maxConcurrency: 2, timeout: 30), 2, "p");
        hub.RemediationTicks["c2"] = -1;
        hub.Decide();
        var snapshot = hub.Snapshot();
        snapshot = snapshot with { ManagedClusters = [.. snapshot.ManagedClusters.Where(c => c.Name != "c2")] };
        var d = hub.Engine.Decide(snapshot, hub.Now.AddMinutes(31));
        var c = Talm.Api.Meta.Conditions.Find(d.Status.Conditions, ConditionTypes.Succeeded)!;
        Assert.Equal(("False", "TimedOut", "Policy remediation took too long"), (c.Status, c.Reason, c.Message));
    }

    [Fact]
    public void Deciding_twice_on_the_same_hub_changes_nothing()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(Fixtures.Names(4), ["p"], maxConcurrency: 2, backup: true), 4, "p");
        for (var i = 0; i < 3; i++)
        {
            hub.Decide();
            hub.Tick();
        }
        hub.Decide();
        var again = hub.Engine.Decide(hub.Snapshot(), hub.Now);
        Assert.False(again.StatusChanged);
    }
}
