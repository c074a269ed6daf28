using Talm.Recovery.Rollback;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// The test story on a <c>small</c> make-host sandbox backed up by the real backup engine:
/// backup, failed upgrade (new ostree commit, 5% of files changed, etcd keys changed), rollback,
/// restore stage 1, "reboot", --resume; then everything is as it was at backup time.
/// </summary>
public sealed class SpokeRestoreTests
{
    [Fact]
    public async Task Restores_a_backed_up_sandbox_host_after_a_failed_upgrade()
    {
        using var node = await SpokeNode.CreateAsync();
        var extrasBefore = node.Seed.ExtraFiles.ToDictionary(p => p, p => TreeFacts.Sha(Path.Join(node.Host, p)));
        var changes = node.SimulateUpgrade();
        Assert.True(changes.Total > 5, $"the upgrade changed too little: {changes}");

        var harness = new RestoreHarness(node.Host, node.BackupDir, node.Kubeconfig, node.StandIns);
        await new RollbackTests.Runner().RollbackAsync(node.Host);
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());
        Assert.Equal(RestoreProcedureTests.StageOneCalls, node.StandIns.Calls());
        Assert.Equal(RestoreOutcome.Complete, await harness.RunAsync(resume: true));

        var excludes = ExcludeList.Load(Path.Combine(node.BackupRoot, "etc.exclude.list"));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(node.BackupRoot, "etc"), skip: excludes.IsExcluded), TreeFacts.Describe(Path.Combine(node.Host, "etc"), skip: excludes.IsExcluded));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(node.BackupRoot, "local")), TreeFacts.Describe(Path.Combine(node.Host, "usr/local")));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(node.BackupRoot, "kubelet")), TreeFacts.Describe(Path.Combine(node.Host, "var/lib/kubelet")));
        foreach (var (path, sha) in extrasBefore)
        {
            Assert.Equal(sha, TreeFacts.Sha(Path.Join(node.Host, path)));
        }

        using (var etcd = EtcdServer.Start(node.EtcdData, "sandbox"))
        {
            Assert.Equal(node.PreUpgradeKeys, etcd.All());
        }

        var plan = PlatformRollback.Inspect(node.Host);
        Assert.Equal(RollbackAction.None, plan.Action);
        Assert.Equal(node.PinnedChecksum, plan.Pinned!.Checksum);
        Assert.False(File.Exists(Path.Combine(node.BackupDir, "progress")));
        Assert.Contains("Recovery complete", harness.Output.ToString(), StringComparison.Ordinal);
    }
}
