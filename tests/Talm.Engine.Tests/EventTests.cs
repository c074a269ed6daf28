namespace Talm.Engine.Tests;

/// <summary>The Events (events.go): annotations cut to the API server's limit, and the one event that is ours.</summary>
public sealed class EventTests
{
    [Fact]
    public void A_cluster_list_too_long_for_the_annotations_is_cut_at_a_whole_name_and_marked()
    {
        // 256 KiB of annotations at most (TotalAnnotationSizeLimitB): 16,000 missing names of 20 characters do not fit.
        var missing = Enumerable.Range(0, 16_000).Select(i => $"missing-cluster-{i:D4}").ToArray();
        var hub = new FakeHub(Fixtures.Cgu(missing, ["p"]));
        var e = Assert.Single(hub.Decide().Events);
        var list = e.Annotations["cgu.openshift.io/missing-clusters"];
        Assert.Equal("cgu.openshift.io/missing-clusters", e.Annotations["cgu.openshift.io/truncated"]);
        Assert.Equal("16000", e.Annotations["cgu.openshift.io/missing-clusters-count"]);
        var kept = list.Split(',');
        Assert.Equal(missing[..kept.Length], kept);
        var total = e.Annotations.Sum(a => a.Key.Length + a.Value.Length);
        Assert.True(total <= 256 * 1024, $"{total} bytes");
        Assert.True(total > 256 * 1024 - 24, "one more name would have fitted");
        // The note is not cut here: the operator cuts notes to 1,024 bytes as it records them.
        Assert.StartsWith("ClusterGroupUpgrade cgu: validation failure (missing clusters): missing-cluster-0000,", e.Note);
    }

    [Fact]
    public void A_short_list_is_left_whole()
    {
        var hub = new FakeHub(Fixtures.Cgu(["a", "b"], ["p"]));
        var e = Assert.Single(hub.Decide().Events);
        Assert.Equal("cgu.openshift.io/missing-clusters=a,b cgu.openshift.io/missing-clusters-count=2", Show.Annotations(e));
    }

    [Theory]
    [InlineData("Succeeded", "Normal")]
    [InlineData("BackupTimeout", "Warning")]
    [InlineData("UnrecoverableError", "Warning")]
    public void Ours_a_finished_backup_is_announced_for_metrics(string outcome, string type)
    {
        var hub = Fixtures.Hub(clusters: 1, backup: true);
        hub.Settle();
        hub.PatchStatus(s => s.Backup!.Status!["c1"] = "Active");
        hub.Put(Views.Job("c1", "view-backup-job", outcome switch
        {
            "Succeeded" => """{"succeeded":1}""",
            "BackupTimeout" => """{"failed":1,"conditions":[{"type":"Failed","status":"True","reason":"DeadlineExceeded"}]}""",
            _ => """{"failed":1,"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded"}]}""",
        }));
        var e = Assert.Single(hub.Decide().Events, x => x.Reason == "BackupFinished");
        Assert.Equal((type, "BackupCompleted", $"ClusterGroupUpgrade cgu: backup of cluster c1 ended {outcome}", "c1", "c1", outcome),
            (e.Type, e.Action, e.Note, e.RelatedCluster, e.BackupCluster, e.BackupState));
        Assert.Equal("cgu.openshift.io/cluster-name=c1 cgu.openshift.io/event-type=cluster", Show.Annotations(e));
    }

    [Fact]
    public void The_reference_announces_the_start_on_every_pass_through_the_enable_gate()
    {
        var hub = Fixtures.Hub(clusters: 2, maxConcurrency: 2, backup: true);
        hub.Settle();
        hub.Clock.Advance(TimeSpan.FromSeconds(30));
        hub.Decide();
        var started = hub.Events.Where(e => e.Action == "RemediationStarted").ToList();
        Assert.Equal(2, started.Count);
        Assert.All(started, e => Assert.Equal("cgu.openshift.io/event-type=global cgu.openshift.io/total-batches-count=1 cgu.openshift.io/total-clusters-count=2", Show.Annotations(e)));
    }
}
