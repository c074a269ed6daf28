using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

/// <summary>hub-protocol §6: the example from the product documentation, end to end through the simulated hub.</summary>
public sealed class DocumentationExampleTests
{
    private const string PlatformPolicy = """
        [{"complianceType":"musthave","objectDefinition":{"apiVersion":"config.openshift.io/v1","kind":"ClusterVersion","metadata":{"name":"version"},
          "spec":{"channel":"stable-4.16","desiredUpdate":{"version":"4.16.3","image":"quay.io/openshift-release-dev/ocp-release@sha256:abc"}}}}]
        """;

    [Fact]
    public void Backup_fails_on_cnfdb2_so_only_cnfdb1_is_upgraded()
    {
        var cgu = Fixtures.Cgu(["cnfdb1", "cnfdb2"], ["du-upgrade-platform-upgrade"], maxConcurrency: 2, backup: true, preCaching: true,
            name: "du-upgrade-4918", ns: "ztp-group-du-sno");
        var hub = new FakeHub(cgu).Cluster("cnfdb1").Cluster("cnfdb2");
        var policy = hub.Policy("du-upgrade-platform-upgrade", "ztp-group",
            new Dictionary<string, string?> { ["cnfdb1"] = "NonCompliant", ["cnfdb2"] = "NonCompliant" }, Fixtures.ConfigPolicy(PlatformPolicy));
        hub.JobScript[("cnfdb2", "backup-agent")] = ("BackoffLimitExceeded", 2);

        var placedClusters = new HashSet<string>();
        var steps = hub.RunUntilTerminal(TimeSpan.FromSeconds(20), 200, h =>
        {
            foreach (var p in h.Objects.OfType<Placement>())
                placedClusters.UnionWith(p.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0].Values!);
        });

        var st = hub.Status;
        Assert.True(steps < 200, "the CGU did not finish");
        Assert.Equal(new Dictionary<string, string> { ["cnfdb1"] = "Succeeded", ["cnfdb2"] = "UnrecoverableError" }, st.Backup!.Status);
        Assert.Equal(new Dictionary<string, string> { ["cnfdb1"] = "Succeeded", ["cnfdb2"] = "Succeeded" }, st.Precaching!.Status);
        Assert.Equal("quay.io/openshift-release-dev/ocp-release@sha256:abc", st.Precaching.Spec!.PlatformImage);
        var backup = hub.Condition(ConditionTypes.BackupSucceeded)!;
        Assert.Equal(("True", "PartiallyDone", "Backup failed for 1 clusters"), (backup.Status, backup.Reason, backup.Message));
        Assert.Equal([["cnfdb1"]], st.RemediationPlan!);
        Assert.Equal(["cnfdb1"], placedClusters);
        Assert.Equal([new ClusterResult { Name = "cnfdb1", State = "complete" }], st.Clusters!);
        Assert.Equal("Compliant", policy.Compliance["cnfdb1"]);
        Assert.Equal("NonCompliant", policy.Compliance["cnfdb2"]);
        var last = st.Conditions![^1];
        Assert.Equal(("Succeeded", "True", "Completed", "All clusters are compliant with all the managed policies"), (last.Type, last.Status, last.Reason, last.Message));
        Assert.Equal(2, st.ComputedMaxConcurrency);
        Assert.Contains(hub.Decisions.SelectMany(d => d.Events), e => e.Kind == EngineEventKind.BackupFinished && e.Cluster == "cnfdb2" && e.Detail == "UnrecoverableError");
        // Cleanup on completion: no placements left, and cnfdb2's backup objects are gone.
        Assert.Empty(hub.Objects.OfType<Placement>());
        Assert.Empty(hub.Objects.OfType<PlacementBinding>());
        Assert.Null(hub.Get<ManagedClusterView>("cnfdb2", "view-backup-job"));
        Assert.Null(hub.Get<ManagedClusterAction>("cnfdb2", "backup-job-create"));
        Assert.NotNull(hub.Get<ManagedClusterAction>("cnfdb2", "backup-ns-delete"));
    }
}
