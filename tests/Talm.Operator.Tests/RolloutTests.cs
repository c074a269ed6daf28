using System.Text.Json.Nodes;
using Talm.Operator.Kube;

namespace Talm.Operator.Tests;

/// <summary>Batches, canaries, timeouts, the enable gate and validation conditions, through the API.</summary>
public sealed class RolloutTests : IAsyncLifetime
{
    private Hub _hub = null!;
    private static readonly string[] Spokes = ["spoke1", "spoke2", "spoke3"];

    public async Task InitializeAsync()
    {
        _hub = await Hub.StartAsync();
        foreach (var c in Spokes) await _hub.ClusterAsync(c);
        await _hub.PolicyAsync("upgrade", Spokes.ToDictionary(c => c, _ => "NonCompliant"));
        await _hub.StartOperatorAsync();
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static JsonObject Spec(int maxConcurrency, int timeout = 240, string[]? canaries = null, string[]? clusters = null, string[]? policies = null)
    {
        var strategy = new JsonObject { ["maxConcurrency"] = maxConcurrency, ["timeout"] = timeout };
        if (canaries is not null) strategy["canaries"] = Hub.Arr(canaries);
        return new JsonObject
        {
            ["clusters"] = Hub.Arr(clusters ?? Spokes),
            ["managedPolicies"] = Hub.Arr(policies ?? ["upgrade"]),
            ["enable"] = true,
            ["remediationStrategy"] = strategy,
        };
    }

    private static int CurrentBatch(System.Text.Json.JsonElement cgu) =>
        cgu.GetProperty("status").GetProperty("status").TryGetProperty("currentBatch", out var b) ? b.GetInt32() : 0;

    [Fact]
    public async Task Batches_follow_maxConcurrency()
    {
        await _hub.CguAsync("cgu", Spec(2));
        var cgu = await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress", "Remediating non-compliant policies");
        Assert.Equal("spoke1,spoke2 | spoke3", Hub.Plan(cgu));
        Assert.Equal(2, cgu.GetProperty("status").GetProperty("computedMaxConcurrency").GetInt32());
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync("cgu", "upgrade").Result == "spoke1,spoke2", "batch 1 in the placement");

        await _hub.SetComplianceAsync("upgrade", new() { ["spoke1"] = "Compliant" });
        await Task.Delay(300);
        Assert.Equal(1, CurrentBatch((await _hub.Cgu("cgu"))!.Value)); // spoke2 still remediating
        await _hub.SetComplianceAsync("upgrade", new() { ["spoke2"] = "Compliant" });
        await _hub.WaitCguAsync("cgu", c => CurrentBatch(c) == 2, "batch 2");
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync("cgu", "upgrade").Result == "spoke3", "batch 2 in the placement");

        await _hub.SetComplianceAsync("upgrade", new() { ["spoke3"] = "Compliant" });
        cgu = await _hub.WaitConditionAsync("cgu", "Succeeded", "True", "Completed", "All clusters are compliant with all the managed policies");
        Assert.Equal(["spoke1", "spoke2", "spoke3"],
            cgu.GetProperty("status").GetProperty("clusters").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Order());
        // deleteObjects defaults to true: the generated placements go once the CGU completes.
        await Eventually.TrueAsync(() => _hub.NamesAsync(WatchedKind.Placement, Hub.PolicyNs).Result.Count == 0, "placements deleted");
    }

    [Fact]
    public async Task Canaries_go_first_in_their_own_batches()
    {
        await _hub.CguAsync("cgu", Spec(2, canaries: ["spoke3"]));
        var cgu = await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress");
        Assert.Equal("spoke3 | spoke1,spoke2", Hub.Plan(cgu));
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync("cgu", "upgrade").Result == "spoke3", "the canary alone in the placement");
        await _hub.SetComplianceAsync("upgrade", new() { ["spoke3"] = "Compliant" });
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync("cgu", "upgrade").Result == "spoke1,spoke2", "the rest after the canary");
    }

    [Fact]
    public async Task BatchTimeoutAction_Abort_ends_the_CGU_when_a_batch_times_out()
    {
        var spec = Spec(1, timeout: 10);
        spec["batchTimeoutAction"] = "Abort";
        spec["clusters"] = Hub.Arr("spoke1", "spoke2");
        await _hub.CguAsync("cgu", spec);
        await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress");
        // The batch starts on the reconcile after Progressing turns True: its clock starts then.
        await _hub.WaitCguAsync("cgu", c => c.TryGetProperty("status", out var st) && st.TryGetProperty("status", out var progress) &&
            progress.TryGetProperty("currentBatchStartedAt", out _), "batch 1 started");

        _hub.Clock.Advance(TimeSpan.FromMinutes(4)); // batch 1 of 2 has 5 of the 10 minutes
        await Task.Delay(300);
        Assert.Equal(("True", "InProgress", "Remediating non-compliant policies"), Hub.Condition((await _hub.Cgu("cgu"))!.Value, "Progressing"));

        _hub.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(2));
        await _hub.WaitConditionAsync("cgu", "Succeeded", "False", "TimedOut", "Policy remediation took too long on some clusters");
        // The reconcile after Succeeded is set finishes the CGU: completedAt, and the batch progress reset.
        var cgu = await _hub.WaitCguAsync("cgu", c => c.GetProperty("status").GetProperty("status").TryGetProperty("completedAt", out _), "completedAt");
        Assert.Equal(("False", "TimedOut", "Policy remediation took too long on some clusters"), Hub.Condition(cgu, "Progressing"));
        var spoke1 = cgu.GetProperty("status").GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "spoke1");
        Assert.Equal("timedout", spoke1.GetProperty("state").GetString());
        Assert.Equal("NonCompliant", spoke1.GetProperty("currentPolicy").GetProperty("status").GetString());
        // Batch 2 never started: spoke2 has no result (the reference resets currentBatch to 0 at completion).
        Assert.Equal(["spoke1=timedout"], cgu.GetProperty("status").GetProperty("clusters").EnumerateArray()
            .Select(c => $"{c.GetProperty("name").GetString()}={c.GetProperty("state").GetString()}"));
        Assert.Equal(0, CurrentBatch(cgu));
        await Eventually.TrueAsync(() => _hub.EventsAsync().Result.Any(e => e.Action == "RemediationTimeout"), "the CguTimedout RemediationTimeout event");
        var events = await _hub.EventsAsync();
        var batch = Assert.Single(events, e => e.Action == "RemediationInBatchTimeout");
        Assert.Equal(("Warning", "CguTimedout", "spoke1"), (batch.Type, batch.Reason, batch.Metadata.Annotations["cgu.openshift.io/timedout-clusters"]));
        Assert.DoesNotContain(events, e => e.Action == "RemediationInClusterStarted" && e.Related?.Name == "spoke2");
    }

    [Fact]
    public async Task A_timeout_shorter_than_the_reference_s_five_minute_look_is_noticed_when_it_runs_out()
    {
        await _hub.CguAsync("cgu", Spec(3, timeout: 2));
        await _hub.WaitCguAsync("cgu", c => c.TryGetProperty("status", out var st) && st.TryGetProperty("status", out var progress) &&
            progress.TryGetProperty("currentBatchStartedAt", out _), "batch 1 started");
        _hub.Clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(2));
        var cgu = await _hub.WaitConditionAsync("cgu", "Succeeded", "False", "TimedOut", "Policy remediation took too long");
        Assert.Equal(("False", "TimedOut", "Policy remediation took too long"), Hub.Condition(cgu, "Progressing"));
    }

    [Fact]
    public async Task Enable_false_holds_the_rollout_with_placements_ready_until_enabled()
    {
        var spec = Spec(3);
        spec["enable"] = false;
        await _hub.CguAsync("cgu", spec);
        var cgu = await _hub.WaitConditionAsync("cgu", "Progressing", "False", "NotEnabled", "Not enabled");
        Assert.False(cgu.GetProperty("status").TryGetProperty("status", out var progress) && progress.TryGetProperty("startedAt", out _));
        await _hub.WaitForAsync(WatchedKind.Placement, Hub.PolicyNs, "cgu-upgrade-placement-kuttl");
        Assert.Equal("", await _hub.PlacementClustersAsync("cgu", "upgrade"));

        await _hub.PatchAsync(WatchedKind.ClusterGroupUpgrade, Hub.CguNs, "cgu", new JsonObject { ["spec"] = new JsonObject { ["enable"] = true } });
        await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress", "Remediating non-compliant policies");
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync("cgu", "upgrade").Result == "spoke1,spoke2,spoke3", "the batch in the placement");
    }

    [Fact]
    public async Task A_missing_policy_gives_the_exact_Validated_condition()
    {
        await _hub.CguAsync("cgu", Spec(2, policies: ["upgrade", "nope"]));
        var cgu = await _hub.WaitConditionAsync("cgu", "Validated", "False", "NotAllManagedPoliciesExist", "Missing managed policies: [nope] ");
        Assert.Equal(("True", "ClusterSelectionCompleted", "All selected clusters are valid"), Hub.Condition(cgu, "ClustersSelected"));
    }

    [Fact]
    public async Task A_missing_cluster_gives_the_exact_ClustersSelected_condition_and_recovers_when_it_appears()
    {
        await _hub.CguAsync("cgu", Spec(2, clusters: ["spoke1", "ghost", "spoke2"]));
        await _hub.WaitConditionAsync("cgu", "ClustersSelected", "False", "ClusterNotFound", "Unable to select clusters: cluster ghost is not a ManagedCluster");

        // The cluster event alone (no poll) brings the CGU on.
        await _hub.ClusterAsync("ghost");
        await _hub.WaitConditionAsync("cgu", "ClustersSelected", "True", "ClusterSelectionCompleted", "All selected clusters are valid");
    }
}
