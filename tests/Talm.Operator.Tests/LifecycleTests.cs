using System.Text.Json.Nodes;
using k8s;
using Talm.Operator.Kube;

namespace Talm.Operator.Tests;

/// <summary>Backup under trouble: an unreachable spoke, deletion mid-backup, an operator restart mid-backup.</summary>
public sealed class LifecycleTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await Hub.StartWithTwoSpokesAsync();
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task A_spoke_unreachable_during_backup_ends_BackupTimeout_after_the_hub_limit()
    {
        await _hub.StartOperatorAsync();
        await _hub.CguAsync("cgu", BackupStoryTests.BackupSpec("spoke1", "spoke2"));
        await _hub.NamespaceExistsOnSpokeAsync("spoke1");
        await _hub.NamespaceExistsOnSpokeAsync("spoke2");
        await _hub.JobAsync("spoke1", Hub.JobSucceeded());
        await _hub.JobAsync("spoke2", Hub.JobActive());
        await _hub.WaitCguAsync("cgu", c => Hub.BackupState(c, "spoke2") == "Active" && Hub.BackupState(c, "spoke1") == "Succeeded", "spoke2 Active");
        // spoke2 then drops off: RHACM marks it unavailable and its view is never updated again. The
        // reference reads a Job still active on an unavailable cluster as an error: the state stays Active.
        await _hub.PatchStatusAsync(WatchedKind.ManagedCluster, null, "spoke2", new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "ManagedClusterConditionAvailable", ["status"] = "Unknown", ["reason"] = "ManagedClusterLeaseUpdateStopped",
                ["message"] = "Registration agent stopped updating its lease.", ["lastTransitionTime"] = "2026-01-01T01:00:00Z",
            }),
        });
        _hub.Clock.Advance(TimeSpan.FromSeconds(31));
        await Task.Delay(500);
        Assert.Equal("Active", Hub.BackupState((await _hub.Cgu("cgu"))!.Value, "spoke2"));

        // The hub limit counts from status.backup.startedAt: 10 s before it the backup is still Active.
        var startedAt = DateTimeOffset.Parse((await _hub.Cgu("cgu"))!.Value.GetProperty("status").GetProperty("backup").GetProperty("startedAt").GetString()!,
            System.Globalization.CultureInfo.InvariantCulture);
        _hub.Clock.Advance(startedAt + TimeSpan.FromSeconds(1190) - _hub.Clock.GetUtcNow());
        await Task.Delay(500);
        Assert.Equal("Active", Hub.BackupState((await _hub.Cgu("cgu"))!.Value, "spoke2"));

        _hub.Clock.Advance(TimeSpan.FromSeconds(31));
        var cgu = await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "True", "PartiallyDone", "Backup failed for 1 clusters");
        Assert.Equal("BackupTimeout", Hub.BackupState(cgu, "spoke2"));
        await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress");
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync("cgu", "upgrade").Result == "spoke1", "only spoke1 in the placement");
    }

    [Fact]
    public async Task Deleting_a_CGU_mid_backup_cleans_up_as_section_5_5_says()
    {
        await _hub.StartOperatorAsync();
        await _hub.CguAsync("cgu", BackupStoryTests.BackupSpec("spoke1", "spoke2"));
        await _hub.NamespaceExistsOnSpokeAsync("spoke1");
        await _hub.NamespaceExistsOnSpokeAsync("spoke2");
        await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, "spoke1", "backup-job-create");
        await _hub.WaitForAsync(WatchedKind.ManagedClusterView, "spoke1", "view-backup-job");
        Assert.NotEmpty(await _hub.NamesAsync(WatchedKind.Placement, Hub.PolicyNs));

        await _hub.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("ran.openshift.io", "v1alpha1", Hub.CguNs, "clustergroupupgrades", "cgu");

        await Eventually.TrueAsync(() => _hub.Cgu("cgu").Result is null, "the CGU to be gone (finalizer removed)");
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            Assert.Empty(await _hub.NamesAsync(WatchedKind.ManagedClusterView, c));
            Assert.Equal(["backup-crb-delete", "backup-ns-delete"], await _hub.NamesAsync(WatchedKind.ManagedClusterAction, c));
        }
        Assert.Empty(await _hub.NamesAsync(WatchedKind.Placement, Hub.PolicyNs));
        Assert.Empty(await _hub.NamesAsync(WatchedKind.PlacementBinding, Hub.PolicyNs));
    }

    [Fact]
    public async Task An_operator_restarted_mid_backup_resumes_from_status_without_duplicate_work()
    {
        var first = await _hub.StartOperatorAsync();
        await _hub.CguAsync("cgu", BackupStoryTests.BackupSpec("spoke1", "spoke2"));
        await _hub.NamespaceExistsOnSpokeAsync("spoke1");
        await _hub.NamespaceExistsOnSpokeAsync("spoke2");
        var jobAction1 = await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, "spoke1", "backup-job-create");
        var jobAction2 = await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, "spoke2", "backup-job-create");
        await _hub.JobAsync("spoke1", Hub.JobActive());
        await _hub.JobAsync("spoke2", Hub.JobActive());
        var before = await _hub.WaitCguAsync("cgu", c => Hub.BackupState(c, "spoke1") == "Active", "spoke1 Active");
        var startedAt = before.GetProperty("status").GetProperty("backup").GetProperty("startedAt").GetString();

        await _hub.StopOperatorAsync(first);
        await _hub.JobAsync("spoke1", Hub.JobSucceeded()); // finishes while no operator runs
        await _hub.StartOperatorAsync();

        await _hub.WaitCguAsync("cgu", c => Hub.BackupState(c, "spoke1") == "Succeeded", "spoke1 Succeeded after the restart");
        await _hub.JobAsync("spoke2", Hub.JobSucceeded());
        var after = await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "True", "BackupCompleted");

        Assert.Equal(startedAt, after.GetProperty("status").GetProperty("backup").GetProperty("startedAt").GetString());
        // The Jobs were not started again: the same action objects, never recreated.
        Assert.Equal(Uid(jobAction1), Uid(await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, "spoke1", "backup-job-create")));
        Assert.Equal(Uid(jobAction2), Uid(await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, "spoke2", "backup-job-create")));
        var events = await _hub.EventsAsync();
        Assert.Single(events, e => e.Reason == "CguCreated");
        // The reference sends RemediationStarted on every reconcile of the backup phase; each operator
        // process sends an identical event at most once in ten minutes, so once per instance here.
        var started = events.Where(e => e.Action == "RemediationStarted").GroupBy(e => e.ReportingInstance).ToList();
        Assert.NotEmpty(started);
        Assert.All(started, g => Assert.Single(g));
        Assert.Equal(2, events.Count(e => e.Reason == "BackupFinished"));
    }

    private static string Uid(System.Text.Json.JsonElement o) => o.GetProperty("metadata").GetProperty("uid").GetString()!;
}
