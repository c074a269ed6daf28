using System.Text.Json.Nodes;
using Talm.Operator.Kube;

namespace Talm.Operator.Tests;

/// <summary>The backup stories (all succeed, one times out, all fail, no recovery image), end to end through the API server.</summary>
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
        await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, "spoke1", "backup-ns-delete");
        await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, "spoke1", "backup-crb-delete");

        // RHACM answers every view the operator asked: the CGU waits for all of them before it reads any.
        foreach (var c in new[] { "spoke1", "spoke2" }) await _hub.NamespaceExistsOnSpokeAsync(c);
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            var job = await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, c, "backup-job-create");
            var container = job.GetProperty("spec").GetProperty("kube").GetProperty("template").GetProperty("spec")
                .GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
            Assert.Equal(Hub.RecoveryImage, container.GetProperty("image").GetString());
            await _hub.JobAsync(c, Hub.JobActive());
        }
        await _hub.WaitCguAsync("cgu", c => Hub.BackupState(c, "spoke1") == "Active" && Hub.BackupState(c, "spoke2") == "Active", "both Active");

        // The agent on spoke1 published its summary on its Job (ours); spoke2's did not (an older agent).
        var summary = new JsonObject
        {
            ["talm.openshift.io/backup-summary"] = """{"generation":"g1","bytes":3221225472,"files":3400,"reusedFiles":1200,"durationSeconds":80.5,"phases":{"scan":2.5,"copy":60,"etcd_snapshot_concurrent":20},"etcdRevision":12345,"etcdSnapshotBytes":104857600,"osVersion":"418.94.202502110000-0","verification":"etcd snapshot SHA-256 trailer verified"}""",
        };
        await _hub.JobAsync("spoke1", Hub.JobSucceeded(95), summary);
        cgu = await _hub.WaitCguAsync("cgu", c => Hub.BackupState(c, "spoke1") == "Succeeded", "spoke1 Succeeded");
        var details = cgu.GetProperty("status").GetProperty("backup").GetProperty("details").GetProperty("spoke1");
        Assert.Equal(3221225472, details.GetProperty("bytes").GetInt64());
        Assert.Equal(12345, details.GetProperty("etcdRevision").GetInt64());
        Assert.Equal("418.94.202502110000-0", details.GetProperty("osVersion").GetString());
        Assert.Equal(95, details.GetProperty("jobSeconds").GetDouble());
        Assert.Equal(60, details.GetProperty("phases").GetProperty("copy").GetDouble());
        await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "False", "InProgress", "Backup in progress for 1 clusters");
        await _hub.JobAsync("spoke2", Hub.JobSucceeded(120));

        cgu = await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "True", "BackupCompleted", "Backup is completed for all clusters");
        await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress", "Remediating non-compliant policies");
        Assert.Equal("spoke1,spoke2", Hub.Plan(cgu));
        // Succeeded backups: views deleted, namespace and binding removed on the spoke.
        await Eventually.TrueAsync(() => _hub.GetAsync(WatchedKind.ManagedClusterView, "spoke1", "view-backup-job").Result is null, "job view deleted");
        // The batch starts on the reconcile after Progressing turns True, as the reference's does.
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync("cgu", "upgrade").Result == "spoke1,spoke2", "the batch in the placement");

        await _hub.SetComplianceAsync("upgrade", new() { ["spoke1"] = "Compliant", ["spoke2"] = "Compliant" });
        cgu = await _hub.WaitConditionAsync("cgu", "Succeeded", "True", "Completed", "All clusters are compliant with all the managed policies");
        Assert.Equal(("False", "Completed", "All clusters are compliant with all the managed policies"), Hub.Condition(cgu, "Progressing"));

        // Events are recorded after the status write that they describe: wait for the last one.
        await Eventually.TrueAsync(() => _hub.EventsAsync().Result.Any(e => e.Action == "RemediationCompleted"), "the CguSuccess RemediationCompleted event");
        var events = await _hub.EventsAsync();
        // The reference's events, by reason and action, each once (a repeat within ten minutes is not sent again).
        var sent = events.Where(e => e.Reason != "BackupFinished").Select(e => $"{e.Reason}/{e.Action}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
        [
            "CguCreated/BuildingRemediationPlan", "CguStarted/RemediationInBatchStarted",
            "CguStarted/RemediationInClusterStarted", "CguStarted/RemediationInClusterStarted", "CguStarted/RemediationStarted",
            "CguSuccess/RemediationCompleted", "CguSuccess/RemediationInBatchCompleted",
            "CguSuccess/RemediationInClusterCompleted", "CguSuccess/RemediationInClusterCompleted",
        ], sent);
        Assert.Equal(["spoke1", "spoke2"], events.Where(e => e.Action == "RemediationInClusterCompleted").Select(e => e.Related.Name).Order(StringComparer.Ordinal));
        var started = events.Single(e => e.Action == "RemediationStarted");
        Assert.Equal("ClusterGroupUpgrade cgu started remediating policies", started.Message);
        Assert.Equal("2", started.Metadata.Annotations["cgu.openshift.io/total-clusters-count"]);
        Assert.Equal("1", started.Metadata.Annotations["cgu.openshift.io/total-batches-count"]);
        var batch = events.Single(e => e.Action == "RemediationInBatchStarted");
        Assert.Equal("spoke1,spoke2", batch.Metadata.Annotations["cgu.openshift.io/batch-clusters"]);
        // Ours: one BackupFinished per cluster, with the Job's run time as the view showed it.
        var finished = events.Where(e => e.Reason == "BackupFinished").Select(e => e.Message).Order().ToList();
        Assert.Equal(
        [
            "ClusterGroupUpgrade cgu: backup of cluster spoke1 ended Succeeded: 3.0 GiB in 3400 files (1200 reused), backup 81 s, etcd revision 12345, OS 418.94.202502110000-0 (the backup Job ran 95s)",
            "ClusterGroupUpgrade cgu: backup of cluster spoke2 ended Succeeded (the backup Job ran 120s)",
        ], finished);
        Assert.All(events, e => Assert.Equal("ClusterGroupUpgrade", e.InvolvedObject.Kind));

        var metrics = _hub.Operator.RenderMetrics();
        Assert.Contains("talm_backup_total{state=\"Succeeded\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("talm_backup_duration_seconds_sum{phase=\"job\"} 215\n", metrics, StringComparison.Ordinal);
        Assert.Contains("talm_backup_duration_seconds_sum{phase=\"copy\"} 60\n", metrics, StringComparison.Ordinal);
        Assert.Contains("talm_backup_bytes_sum 3221225472\n", metrics, StringComparison.Ordinal);
        Assert.Contains("talm_backup_bytes_count 1\n", metrics, StringComparison.Ordinal);
        // spoke2's Job showed only its times: its details hold just those.
        var spoke2 = (await _hub.GetAsync(WatchedKind.ClusterGroupUpgrade, Hub.CguNs, "cgu"))!.Value.GetProperty("status").GetProperty("backup").GetProperty("details").GetProperty("spoke2");
        Assert.Equal("{\"jobSeconds\":120}", spoke2.GetRawText());
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
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync("cgu", "upgrade").Result == "spoke1", "only spoke1 in the placement");

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
    public async Task Without_RECOVERY_IMG_backups_stay_PreparingToStart_and_nothing_is_sent_to_the_spokes()
    {
        // The reference cannot render the backup templates without the image: each cluster stays
        // PreparingToStart (the reconcile logs the error) and no ManagedClusterAction is created.
        var op = await _hub.StartOperatorAsync(Hub.Options(recoveryImage: null));
        await _hub.CguAsync("cgu", BackupSpec("spoke1", "spoke2"));
        var cgu = await _hub.WaitCguAsync("cgu", c => Hub.BackupState(c, "spoke1") == "PreparingToStart" && Hub.BackupState(c, "spoke2") == "PreparingToStart",
            "both clusters PreparingToStart");
        Assert.Equal(("False", "InProgress", "Backup in progress for 2 clusters"), Hub.Condition(cgu, "BackupSuceeded"));
        Assert.Equal(("False", "NotStarted", "Cluster backup is in progress"), Hub.Condition(cgu, "Progressing"));
        // A later look (the reference requeues after 30 s) changes nothing.
        _hub.Clock.Advance(TimeSpan.FromSeconds(31));
        await Task.Delay(500);
        cgu = (await _hub.Cgu("cgu"))!.Value;
        Assert.Equal("PreparingToStart", Hub.BackupState(cgu, "spoke1"));
        Assert.Empty(await _hub.NamesAsync(WatchedKind.ManagedClusterAction, "spoke1"));
        Assert.Empty(await _hub.NamesAsync(WatchedKind.ManagedClusterAction, "spoke2"));
        Assert.True(op.Ready);
    }
}
