using System.Text.Json.Nodes;
using Talm.Api.Meta;
using Talm.Lab.Hub;
using Talm.Lab.Run;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;
using Talm.Recovery.Layout;
using Talm.Recovery.Ostree;

namespace Talm.Lab.Tests;

/// <summary>
/// <c>talm lab up</c> with no options: the documentation's CGU on 6 full-fidelity spokes (real sandbox
/// hosts, real etcd, the real backup agent), cnfdb2's backup failing.
/// </summary>
public sealed class DefaultStoryTests
{
    private static JsonNode? Condition(JsonNode? cgu, string type) =>
        Json.Items(Json.At(cgu, "status", "conditions")).FirstOrDefault(c => Json.Str(c, "type") == type);

    [Fact]
    public async Task The_default_run_backs_up_skips_the_failed_backup_and_upgrades_the_rest()
    {
        await using var lab = new LabHarness();
        var options = lab.Options(o => o with { FailBackup = ["cnfdb2"] });
        var hub = new Dictionary<string, JsonNode?>();
        var spokeState = new Dictionary<string, (JsonNode? Job, IReadOnlyDictionary<string, string> Etcd)>();
        Talm.Recovery.Processes.ProcessResult? preflight = null;

        var result = await lab.RunAsync(options, async (runner, _) =>
        {
            var client = HubClient.FromKubeconfig(runner.Kubeconfig!);
            hub["policy"] = await client.GetAsync(Kinds.Policy, HubObjects.GroupNamespace, HubObjects.PolicyName, default);
            hub["child1"] = await client.GetAsync(Kinds.Policy, "cnfdb1", HubObjects.GroupNamespace + "." + HubObjects.PolicyName, default);
            hub["view1"] = await client.GetAsync(Kinds.ManagedClusterView, "cnfdb1", "view-backup-job", default);
            hub["mc1"] = await client.GetAsync(Kinds.ManagedCluster, "", "cnfdb1", default);
            foreach (var (name, spoke) in runner.Spokes)
            {
                var full = (FullSpoke)spoke;
                spokeState[name] = (spoke.Get(SpokeObjectKey.Of("jobs", "openshift-talo-backup", "backup-agent")),
                    await EtcdKeys.ReadAsync(full.Etcd, default));
            }
            // The pre-flight after the story: only cnfdb2 still needs the upgrade; the real agent's dry run in its pod reports.
            preflight = await new Talm.Recovery.Processes.ProcessRunner().TryRunAsync(LabHarness.Talm.TalmFile, [.. LabHarness.Talm.TalmPrefix, "kubectl", "preflight", HubObjects.CguName,
                "-n", HubObjects.GroupNamespace, "--kubeconfig", runner.Kubeconfig!, "--image", EmbeddedBackend.RecoveryImage], default);
        });

        Assert.True(result.Finished, lab.Output.ToString());
        var cgu = result.Cgu;
        Assert.Equal(("True", "PartiallyDone", "Backup failed for 1 clusters"),
            (Json.Str(Condition(cgu, "BackupSuceeded"), "status"), Json.Str(Condition(cgu, "BackupSuceeded"), "reason"), Json.Str(Condition(cgu, "BackupSuceeded"), "message")));
        Assert.Equal(("True", "Completed"), (Json.Str(Condition(cgu, "Succeeded"), "status"), Json.Str(Condition(cgu, "Succeeded"), "reason")));
        Assert.Equal("UnrecoverableError", Json.Str(cgu, "status", "backup", "status", "cnfdb2"));
        foreach (var n in new[] { "cnfdb1", "cnfdb3", "cnfdb4", "cnfdb5", "cnfdb6" })
            Assert.Equal("Succeeded", Json.Str(cgu, "status", "backup", "status", n));
        var plan = Json.Items(Json.At(cgu, "status", "remediationPlan")).SelectMany(b => Json.Strings(b)).ToList();
        Assert.Equal(["cnfdb1", "cnfdb3", "cnfdb4", "cnfdb5", "cnfdb6"], plan);
        Assert.All(Json.Items(Json.At(cgu, "status", "clusters")), c => Assert.Equal("complete", Json.Str(c, "state")));
        Assert.Equal(5, Json.Items(Json.At(cgu, "status", "clusters")).Count());

        // Hub objects: compliance as RHACM reports it, the enforced child, backup objects cleaned up.
        var compliance = Json.Items(Json.At(hub["policy"], "status", "status"))
            .ToDictionary(e => Json.Str(e, "clustername")!, e => Json.Str(e, "compliant"));
        Assert.Equal("NonCompliant", compliance["cnfdb2"]);
        Assert.All(plan, n => Assert.Equal("Compliant", compliance[n]));
        Assert.NotNull(hub["child1"]);
        Assert.Null(hub["view1"]);
        Assert.Equal("True", Json.Str(Json.Items(Json.At(hub["mc1"], "status", "conditions")).Single(c => Json.Str(c, "type") == "ManagedClusterConditionAvailable"), "status"));

        // Spokes: the upgraded ones run the new OS with the pre-upgrade one pinned, have a backup and the new etcd keys.
        var upgraded = SpokeDirectory.Of(lab.Dir, "cnfdb1");
        string podLog0() => File.ReadAllText(upgraded.PodLog);
        var status = (await new Talm.Recovery.Processes.ProcessRunner().RunAsync("ostree", ["admin", "status", "--sysroot=" + upgraded.Host], default)).StandardOutput;
        var deployments = OstreeStatusParser.Parse(status);
        Assert.True(FullSpoke.UpgradeVersion == deployments.Single(d => d.Index == 0).Version, status);
        Assert.True(deployments.Any(d => d.Index > 0 && d.Pinned && d.Version != FullSpoke.UpgradeVersion), status);
        Assert.NotNull(new BackupDirectory(upgraded.Backup).CurrentRoot());
        // The backup Job succeeded on the spoke (unless the hub already had its namespace deleted).
        Assert.True(spokeState["cnfdb1"].Job is null || Json.Long(spokeState["cnfdb1"].Job, "status", "succeeded") == 1);
        Assert.Contains("/kubernetes.io/configmaps/openshift-config/upgrade-4.18.9", spokeState["cnfdb1"].Etcd.Keys);
        Assert.Equal("upgraded", (await File.ReadAllTextAsync(upgraded.UpgradeMarker)).Trim());
        Assert.True(result.Clusters.Single(c => c.Name == "cnfdb1").BackupBytes > 1024 * 1024);
        // The real agent published its summary on its Job; the hub keeps it in status.backup.details.
        var details = Json.At(cgu, "status", "backup", "details", "cnfdb1");
        Assert.True(Json.Long(details, "bytes") > 1024 * 1024, details?.ToJsonString());
        Assert.True(Json.Long(details, "files") > 10, details?.ToJsonString());
        Assert.True(Json.Long(details, "etcdRevision") > 0, details?.ToJsonString());
        Assert.True(Json.Long(details, "etcdSnapshotBytes") > 0, details?.ToJsonString());
        Assert.NotNull(Json.At(details, "phases", "copy"));
        Assert.NotNull(Json.At(details, "jobSeconds"));
        Assert.Equal("etcd snapshot SHA-256 trailer verified", Json.Str(details, "verification"));
        Assert.False(string.IsNullOrEmpty(Json.Str(details, "osVersion")), details?.ToJsonString());
        Assert.Contains("Backup summary written for the Job", podLog0(), StringComparison.Ordinal);
        // cnfdb2's failed Job published nothing: the hub has only the Job's times.
        Assert.Null(Json.At(cgu, "status", "backup", "details", "cnfdb2", "bytes"));

        // The failed backup's spoke was left alone: no backup, not upgraded, no new keys.
        var skipped = SpokeDirectory.Of(lab.Dir, "cnfdb2");
        Assert.Null(new BackupDirectory(skipped.Backup).CurrentRoot());
        Assert.False(File.Exists(skipped.UpgradeMarker));
        Assert.DoesNotContain("/kubernetes.io/configmaps/openshift-config/upgrade-4.18.9", spokeState["cnfdb2"].Etcd.Keys);
        Assert.Equal("skipped (backup UnrecoverableError)", result.Clusters.Single(c => c.Name == "cnfdb2").Result);

        // The backups ran in the Job's pod on each spoke's node: etcd over TLS on the node's IP, /sysroot remounted;
        // cnfdb2's pod network could not reach its node.
        var podLog = podLog0();
        Assert.Contains("etcd: https://192.168.126.10:2379/ (ETCDCTL_ENDPOINTS in /host/etc/kubernetes/", podLog, StringComparison.Ordinal);
        Assert.Contains("Remounted /host/sysroot read-write", podLog, StringComparison.Ordinal);
        var failedLog = await File.ReadAllTextAsync(skipped.PodLog);
        Assert.True(failedLog.Contains("Backup failed: etcd at https://192.168.126.10:2379/", StringComparison.Ordinal), failedLog);
        Assert.Contains("kubectl get cgu -A", LabSummary.Render(result), StringComparison.Ordinal);

        // kubectl talm preflight: cnfdb2's pod network still cannot reach its etcd, and the agent's own checks say so.
        Assert.True(preflight!.ExitCode == 1, preflight.StandardOutput + preflight.StandardError);
        var row = preflight.StandardOutput.Split('\n').Single(l => l.StartsWith("cnfdb2 ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["cnfdb2", "FAILED"], row[..2]);
        Assert.Equal(["FAIL", "none", "ok", "etcd:", "etcd", "at", "https://192.168.126.10:2379/:"], row[6..13]);
        Assert.Matches("^[0-9.]+$", row[2]); // the space needed and free the agent measured, with their units
        Assert.Contains("not checked, already compliant (no upgrade, no backup): cnfdb1, cnfdb3, cnfdb4, cnfdb5, cnfdb6", preflight.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Pre-flight report written for the Job", failedLog, StringComparison.Ordinal);
    }
}
