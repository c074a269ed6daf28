using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Status;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// <c>restore --generation ID</c> on a sandbox host backed up twice by the real engine (<c>--keep 2</c>): the older
/// restore point comes back whole (a file changed after it has its old bytes, a file added after it is gone, etcd holds
/// its keys), and the restore keeps to it across the reboot.
/// </summary>
public sealed class RestorePointRestoreTests
{
    [Fact]
    public async Task Restores_an_older_restore_point_and_resume_keeps_to_it()
    {
        using var node = await SpokeNode.CreateAsync();
        var older = new BackupDirectory(node.BackupDir).CurrentId()!;
        var olderRoot = node.BackupRoot;
        var olderKeys = node.PreUpgradeKeys;
        var changed = Directory.EnumerateFiles(Path.Combine(node.Host, "etc/sysconfig")).Order(StringComparer.Ordinal).First();
        var olderBytes = await File.ReadAllBytesAsync(changed);

        // Between the two backups: a file changed, one added, an etcd key written.
        await File.WriteAllTextAsync(changed, "changed after the older restore point\n");
        var added = Path.Combine(node.Host, "etc/added-after-older.conf");
        await File.WriteAllTextAsync(added, "not in the older restore point\n");
        using (var etcd = EtcdServer.Start(node.EtcdData, "sandbox"))
        {
            etcd.Put("/kubernetes.io/configmaps/openshift-config/after-older", "x");
        }

        var newer = await node.BackupAgainAsync(keep: 2);
        Assert.Equal([newer, older], new BackupDirectory(node.BackupDir).RestorePoints().Select(p => p.Id));
        Assert.NotEqual(olderKeys, node.PreUpgradeKeys);

        node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(node.Host);
        RestoreHarness Harness(string? generation) => new(node.Host, node.BackupDir, node.Kubeconfig, node.StandIns) { Generation = generation };

        // An unknown ID names the ones there are; a held lock (a backup running) refuses; neither changes anything.
        var unknown = await Harness("20200101-000000-0000aa").FailsAsync();
        Assert.Equal(RestoreFailure.BadInput, unknown.Kind);
        Assert.StartsWith($"no restore point 20200101-000000-0000aa in {node.BackupDir}; there are: {newer} (current), {older}.", unknown.Message, StringComparison.Ordinal);
        using (var held = new BackupDirectory(node.BackupDir).TryLock())
        {
            Assert.NotNull(held);
            var busy = await Harness(older).FailsAsync();
            Assert.StartsWith("A backup or another restore is running in", busy.Message, StringComparison.Ordinal);
        }

        Assert.Empty(node.StandIns.Calls());

        // The dry run of the older one lists what differs from it, not from the current one.
        var preview = await RestoreDryRun.RunAsync(
            new RestoreDryRunOptions { HostRoot = node.Host, BackupDir = node.BackupDir, Generation = older, Etcd = new EtcdConnection { Endpoint = new Uri($"http://127.0.0.1:{EtcdServer.FreePort()}") } },
            CancellationToken.None);
        Assert.Equal(older, preview.Generation);
        Assert.Equal(olderRoot, preview.BackupRoot);
        var etc = preview.Trees.Single(t => t.Tree.HostPath == "/etc").Plan.Changes;
        Assert.Contains(etc, c => c is { Change: MirrorChangeKind.Delete, Path: "added-after-older.conf" });
        Assert.Contains(etc, c => c.Change is MirrorChangeKind.Rewrite or MirrorChangeKind.Create && c.Path == "sysconfig/" + Path.GetFileName(changed));

        // Stage 1 from the older one; the choice is recorded with the progress.
        var first = Harness(older);
        Assert.Equal(RestoreOutcome.RebootRequired, await first.RunAsync());
        Assert.Contains($"Restore started from restore point {older} (an older backup, not the current one)", first.Output.ToString(), StringComparison.Ordinal);
        var status = await StatusCollector.CollectAsync(node.Host, node.BackupDir, verify: false, 2, CancellationToken.None);
        Assert.Equal(older, status.Restore.Generation);

        // A backup now is refused (a restore is under way): the restore point stays.
        var backup = await new BackupRunner(
            new BackupOptions { HostRoot = node.Host, BackupDir = node.BackupDir, Program = new ProgramLocation(node.Host, "none"), ToolVersion = "test", Keep = 1 },
            new Processes.ProcessRunner(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System, NullProgressReporter.Instance).RunAsync();
        Assert.Equal(BackupStatus.SkippedRecoveryInProgress, backup.Status);
        Assert.Equal([newer, older], new BackupDirectory(node.BackupDir).RestorePoints().Select(p => p.Id));

        // --resume with another --generation is refused; --resume alone continues from the recorded one.
        var other = await Harness(newer).FailsAsync(resume: true);
        Assert.StartsWith($"The restore in {node.BackupDir} began from restore point {older}, not {newer}; nothing was changed.", other.Message, StringComparison.Ordinal);
        var resume = Harness(null);
        Assert.Equal(RestoreOutcome.Complete, await resume.RunAsync(resume: true));
        Assert.Contains($"Continuing from restore point {older}", resume.Output.ToString(), StringComparison.Ordinal);

        Assert.Equal(olderBytes, await File.ReadAllBytesAsync(changed));
        Assert.False(File.Exists(added));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(olderRoot, "local")), TreeFacts.Describe(Path.Combine(node.Host, "usr/local")));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(olderRoot, "kubelet")), TreeFacts.Describe(Path.Combine(node.Host, "var/lib/kubelet")));
        using (var etcd = EtcdServer.Start(node.EtcdData, "sandbox"))
        {
            Assert.Equal(olderKeys, etcd.All());
        }

        // Done: the progress and the recorded choice are gone, both restore points are still there.
        Assert.False(File.Exists(new BackupDirectory(node.BackupDir).Progress.Path));
        Assert.Null(RestoreSource.Recorded(node.BackupDir));
        Assert.Equal([newer, older], new BackupDirectory(node.BackupDir).RestorePoints().Select(p => p.Id));
    }
}
