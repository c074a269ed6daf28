namespace Talm.Recovery.Restore.Tests;

/// <summary>A failure injected in each stage; --restart then finishes the job and the node is as at backup time.</summary>
public sealed class RestoreFailureTests
{
    [Theory]
    [InlineData("crio", "wipe", "restore_files", "crio wipe -f", new[] { "started" })]
    [InlineData("systemctl", "restart", "restore_cluster", "systemctl restart crio", new[] { "started", "restore_files" })]
    [InlineData("oc", "patch", "redeploy", "oc patch etcd cluster", new[] { "started", "restore_files", "restore_cluster" })]
    public async Task Restart_after_a_failure_in_a_stage_completes_the_restore(string tool, string arg, string stage, string command, string[] recorded)
    {
        using var node = await SpokeNode.CreateAsync();
        node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(node.Host);
        var harness = new RestoreHarness(node.Host, node.BackupDir, node.Kubeconfig, node.StandIns);
        node.StandIns.Fail(tool, arg);

        var failure = stage == "restore_files"
            ? await harness.FailsAsync()
            : await RunUntilFailureAsync(harness);

        Assert.Contains($"Stage {stage} failed: step {stage}: '{command}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("injected failure", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--resume", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--restart", failure.Message, StringComparison.Ordinal);
        Assert.Equal(recorded, File.ReadAllLines(Path.Combine(node.BackupDir, "progress")));
        if (stage == "restore_files")
        {
            // SELinux is put back to enforcing even though the stage failed.
            Assert.Equal("setenforce 1", node.StandIns.Calls()[^1]);
        }

        node.StandIns.Heal();
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync(restart: true));
        Assert.Equal(["started", "restore_files"], File.ReadAllLines(Path.Combine(node.BackupDir, "progress")));
        Assert.Equal(RestoreOutcome.Complete, await harness.RunAsync(resume: true));

        var excludes = ExcludeList.Load(Path.Combine(node.BackupRoot, "etc.exclude.list"));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(node.BackupRoot, "etc"), skip: excludes.IsExcluded), TreeFacts.Describe(Path.Combine(node.Host, "etc"), skip: excludes.IsExcluded));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(node.BackupRoot, "kubelet")), TreeFacts.Describe(Path.Combine(node.Host, "var/lib/kubelet")));
        using (var etcd = EtcdServer.Start(node.EtcdData, "sandbox"))
        {
            Assert.Equal(node.PreUpgradeKeys, etcd.All());
        }

        // However many attempts, the upgraded etcd data was moved aside once and kept.
        Assert.Single(Directory.GetDirectories(Path.Combine(node.Host, "var/lib"), "etcd.pre-recovery-*"));
        Assert.False(File.Exists(Path.Combine(node.BackupDir, "progress")));
    }

    private static async Task<RestoreFailedException> RunUntilFailureAsync(RestoreHarness harness)
    {
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());
        return await harness.FailsAsync(resume: true);
    }
}
