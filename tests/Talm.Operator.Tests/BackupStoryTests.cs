using System.Text.Json.Nodes;
using Talm.Operator.Kube;

namespace Talm.Operator.Tests;

/// <summary>The three backup stories of hub-protocol §5, end to end through the API server.</summary>
public sealed class BackupStoryTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await Hub.StartWithTwoSpokesAsync();
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    internal static JsonObject BackupSpec(params string[] clusters) => new()
    {
        ["clusters"] = Hub.Arr(clusters),
        ["managedPolicies"] = Hub.Arr("upgrade"),
        ["backup"] = true,
        ["enable"] = true,
        ["remediationStrategy"] = new JsonObject { ["maxConcurrency"] = 2, ["timeout"] = 240 },
    };

    [Fact]
    public async Task All_backups_succeed_then_the_upgrade_runs_and_completes()
    {
        await _hub.StartOperatorAsync();
        await _hub.CguAsync("cgu", BackupSpec("spoke1", "spoke2"));

        var cgu = await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "False", "InProgress", "Backup in progress for 2 clusters");
        Assert.Equal(("False", "NotStarted", "Cluster backup is in progress"), Hub.Condition(cgu, "Progressing"));
        Assert.Contains("ran.openshift.io/cleanup-finalizer",
            cgu.GetProperty("metadata").GetProperty("finalizers").EnumerateArray().Select(f => f.GetString()));
        // PreparingToStart cleared leftovers with the two delete actions.
        await _hub.WaitForAsync(ResourceKind.ManagedClusterAction, "spoke1", "backup-ns-delete");
        await _hub.WaitForAsync(ResourceKind.ManagedClusterAction, "spoke1", "backup-crb-delete");

        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            await _hub.NamespaceExistsOnSpokeAsync(c);
            var job = await _hub.WaitForAsync(ResourceKind.ManagedClusterAction, c, "backup-job-create");
            var container = job.GetProperty("spec").GetProperty("kube").GetProperty("template").GetProperty("spec")
                .GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
            Assert.Equal(Hub.RecoveryImage, container.GetProperty("image").GetString());
            await _hub.JobAsync(c, Hub.JobActive());
        }
        await _hub.WaitCguAsync("cgu", c => Hub.BackupState(c, "spoke1") == "Active" && Hub.BackupState(c, "spoke2") == "Active", "both Active");

        await _hub.JobAsync("spoke1", Hub.JobSucceeded(95));
        await _hub.WaitCguAsync("cgu", c => Hub.BackupState(c, "spoke1") == "Succeeded", "spoke1 Succeeded");
        await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "False", "InProgress", "Backup in progress for 1 clusters");
        await _hub.JobAsync("spoke2", Hub.JobSucceeded(120));

        cgu = await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "True", "BackupCompleted", "Backup is completed for all clusters");
        await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress", "Remediating non-compliant policies");
        Assert.Equal("spoke1,spoke2", Hub.Plan(cgu));
        // Succeeded backups: views deleted, namespace and binding removed on the spoke.
        await Eventually.TrueAsync(() => _hub.GetAsync(ResourceKind.ManagedClusterView, "spoke1", "view-backup-job").Result is null, "job view deleted");
        Assert.Equal("spoke1,spoke2", await _hub.PlacementClustersAsync("cgu", "upgrade"));

        await _hub.SetComplianceAsync("upgrade", new() { ["spoke1"] = "Compliant", ["spoke2"] = "Compliant" });
        cgu = await _hub.WaitConditionAsync("cgu", "Succeeded", "True", "Completed", "All clusters are compliant with all the managed policies");
        Assert.Equal(("False", "Completed", "All clusters are compliant with all the managed policies"), Hub.Condition(cgu, "Progressing"));

        // Events are recorded after the status write that they describe: wait for the last one.
        await Eventually.TrueAsync(() => _hub.EventsAsync().Result.Any(e => e.Reason == "Completed"), "Completed event");
        var events = await _hub.EventsAsync();
        var reasons = events.Select(e => e.Reason).ToList();
        Assert.Contains("CguCreated", reasons);
        Assert.Contains("CguStarted", reasons);
        Assert.Contains("BatchStarted", reasons);
        Assert.Contains("Completed", reasons);
        var finished = events.Where(e => e.Reason == "BackupFinished").Select(e => e.Message).Order().ToList();
        Assert.Equal(2, finished.Count);
        Assert.Contains("spoke1", finished[0], StringComparison.Ordinal);
        Assert.Contains("Succeeded (the backup Job ran 95s)", finished[0], StringComparison.Ordinal);
        Assert.Contains("Succeeded (the backup Job ran 120s)", finished[1], StringComparison.Ordinal);
        Assert.All(events, e => Assert.Equal("ClusterGroupUpgrade", e.InvolvedObject.Kind));

        var metrics = _hub.Operator.RenderMetrics();
        Assert.Contains("talm_backup_total{state=\"Succeeded\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("talm_backup_duration_seconds_sum 215\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_backup_times_out_and_the_others_go_on()
    {
        await _hub.StartOperatorAsync();
        await _hub.CguAsync("cgu", BackupSpec("spoke1", "spoke2"));
        foreach (var c in new[] { "spoke1", "spoke2" }) await _hub.NamespaceExistsOnSpokeAsync(c);
        await _hub.JobAsync("spoke1", Hub.JobSucceeded());
        await _hub.JobAsync("spoke2", Hub.JobFailed("DeadlineExceeded"));

        var cgu = await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "True", "PartiallyDone", "Backup failed for 1 clusters");
        Assert.Equal("BackupTimeout", Hub.BackupState(cgu, "spoke2"));
        Assert.Equal("Succeeded", Hub.BackupState(cgu, "spoke1"));
        cgu = await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress", "Remediating non-compliant policies");
        Assert.Equal("spoke1", Hub.Plan(cgu));
        Assert.Equal("spoke1", await _hub.PlacementClustersAsync("cgu", "upgrade"));

        await _hub.SetComplianceAsync("upgrade", new() { ["spoke1"] = "Compliant" });
        cgu = await _hub.WaitConditionAsync("cgu", "Succeeded", "True", "Completed");
        var results = cgu.GetProperty("status").GetProperty("clusters").EnumerateArray()
            .Select(c => $"{c.GetProperty("name").GetString()}={c.GetProperty("state").GetString()}").ToList();
        Assert.Equal(["spoke1=complete"], results);
        Assert.Contains("talm_backup_total{state=\"BackupTimeout\"} 1\n", _hub.Operator.RenderMetrics(), StringComparison.Ordinal);
        Assert.Contains((await _hub.EventsAsync()), e => e.Reason == "BackupFinished" && e.Type == "Warning" && e.Message.Contains("spoke2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task All_backups_fail_and_the_CGU_ends()
    {
        await _hub.StartOperatorAsync();
        await _hub.CguAsync("cgu", BackupSpec("spoke1", "spoke2"));
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            await _hub.NamespaceExistsOnSpokeAsync(c);
            await _hub.JobAsync(c, Hub.JobFailed("BackoffLimitExceeded"));
        }
        var cgu = await _hub.WaitConditionAsync("cgu", "Succeeded", "False", "Failed", "No clusters available for remediation (Backup failed)");
        Assert.Equal(("False", "Failed", "Backup failed for all clusters"), Hub.Condition(cgu, "BackupSuceeded"));
        Assert.Equal(("False", "Completed", "No clusters available for remediation (Backup failed)"), Hub.Condition(cgu, "Progressing"));
        Assert.Equal("UnrecoverableError", Hub.BackupState(cgu, "spoke1"));
        Assert.Equal("UnrecoverableError", Hub.BackupState(cgu, "spoke2"));
        // Nothing was rolled out.
        Assert.Equal("", await _hub.PlacementClustersAsync("cgu", "upgrade") is "<no placement>" ? "" : await _hub.PlacementClustersAsync("cgu", "upgrade"));
    }

    [Fact]
    public async Task Without_RECOVERY_IMG_a_backup_CGU_gets_a_clear_condition_and_no_Job()
    {
        var op = await _hub.StartOperatorAsync(Hub.Options(recoveryImage: null));
        await _hub.CguAsync("cgu", BackupSpec("spoke1", "spoke2"));
        var cgu = await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "False", "RecoveryImageMissing");
        Assert.Contains("RECOVERY_IMG", Hub.Condition(cgu, "BackupSuceeded")!.Value.Message, StringComparison.Ordinal);
        Assert.Empty(await _hub.NamesAsync(ResourceKind.ManagedClusterAction, "spoke1"));
        Assert.True(op.Ready);
    }
}
