using Talm.Recovery.Layout;

namespace Talm.Recovery.Restore.Tests;

/// <summary>Pre-checks, damaged backups and --step, on the quick hand-made sandbox node.</summary>
public sealed class RestoreRefusalTests : IDisposable
{
    private readonly SandboxNode _node = new();

    private SortedDictionary<string, string> HostFacts() => TreeFacts.Describe(_node.Host, skip: rel => rel.StartsWith("sysroot", StringComparison.Ordinal) || rel.StartsWith("boot", StringComparison.Ordinal));

    [Fact]
    public async Task A_corrupted_backup_file_stops_the_restore_before_any_change()
    {
        _node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        var victim = Path.Combine(_node.BackupRoot, "kubelet/pods/pod-1/volumes/large.bin");
        var bytes = File.ReadAllBytes(victim);
        bytes[1000] ^= 0xFF;
        var mtime = File.GetLastWriteTimeUtc(victim);
        File.WriteAllBytes(victim, bytes);
        File.SetLastWriteTimeUtc(victim, mtime);
        var before = HostFacts();

        var failure = await new RestoreHarness(_node).FailsAsync();

        Assert.Contains("is damaged", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing on the node was changed.", failure.Message, StringComparison.Ordinal);
        Assert.Contains("kubelet/pods/pod-1/volumes/large.bin", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_node.StandIns.Calls());
        Assert.False(File.Exists(new BackupDirectory(_node.BackupDir).Progress.Path));
        TreeFacts.AssertSame(before, HostFacts());
    }

    [Fact]
    public async Task A_flipped_byte_in_the_etcd_snapshot_stops_the_restore_before_any_change()
    {
        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        var snapshot = Directory.GetFiles(Path.Combine(_node.BackupRoot, "cluster"), "snapshot_*.db").Single();
        var bytes = File.ReadAllBytes(snapshot);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(snapshot, bytes);
        var before = HostFacts();

        var failure = await new RestoreHarness(_node).FailsAsync();

        Assert.Contains("is damaged", failure.Message, StringComparison.Ordinal);
        Assert.Contains("snapshot_", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_node.StandIns.Calls());
        TreeFacts.AssertSame(before, HostFacts());
    }

    [Fact]
    public async Task Step_stops_after_each_stage()
    {
        _node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        var harness = new RestoreHarness(_node);
        var progress = Path.Combine(_node.BackupDir, "progress");

        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync(step: true));
        Assert.Equal(["started", "restore_files"], File.ReadAllLines(progress));
        Assert.Equal(RestoreProcedureTests.StageOneCalls, _node.StandIns.Calls());

        _node.StandIns.ClearCalls();
        Assert.Equal(RestoreOutcome.SteppedStage, await harness.RunAsync(step: true));
        Assert.Equal(["started", "restore_files", "restore_cluster"], File.ReadAllLines(progress));
        Assert.DoesNotContain(_node.StandIns.Calls(), c => c.StartsWith("oc ", StringComparison.Ordinal));

        _node.StandIns.ClearCalls();
        Assert.Equal(RestoreOutcome.Complete, await harness.RunAsync(step: true));
        Assert.All(_node.StandIns.Calls(), c => Assert.StartsWith("oc ", c, StringComparison.Ordinal));
        Assert.False(File.Exists(progress));
    }

    [Fact]
    public async Task Refuses_without_a_readable_kubeconfig()
    {
        var harness = new RestoreHarness(_node);
        Assert.Equal("Please provide kubeconfig location in KUBECONFIG env variable", (await harness.FailsAsync(kubeconfig: null)).Message);
        Assert.Equal("Please provide kubeconfig location in KUBECONFIG env variable", (await harness.FailsAsync(kubeconfig: Path.Combine(_node.Root, "missing"))).Message);
        Assert.Empty(_node.StandIns.Calls());
    }

    [Fact]
    public async Task Refuses_when_backup_content_is_missing()
    {
        Directory.Delete(Path.Combine(_node.BackupRoot, "kubelet"), recursive: true);
        var failure = await new RestoreHarness(_node).FailsAsync();
        Assert.Equal($"Required backup content not found in {_node.BackupDir}", failure.Message);
        Assert.Empty(_node.StandIns.Calls());
    }

    [Fact]
    public async Task Force_turns_the_unpinned_refusal_into_a_warning()
    {
        _node.SimulateUpgrade();
        var harness = new RestoreHarness(_node);

        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync(force: true));

        Assert.Contains("warning: Active ostree deployment is not pinned and should be rolled back. Continuing because of --force.", harness.Output.ToString(), StringComparison.Ordinal);
        Assert.Equal(RestoreProcedureTests.StageOneCalls, _node.StandIns.Calls());
    }

    [Fact]
    public async Task A_host_root_that_cannot_be_opened_is_bad_input_and_nothing_runs()
    {
        var missing = Path.Combine(_node.Root, "no-such-root");

        var failure = await new RestoreHarness(missing, _node.BackupDir, _node.Kubeconfig, _node.StandIns).FailsAsync();

        Assert.Equal(RestoreFailure.BadInput, failure.Kind);
        Assert.Contains($"The host root {missing} cannot be used", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_node.StandIns.Calls());
        Assert.False(File.Exists(new BackupDirectory(_node.BackupDir).Progress.Path));
    }

    public void Dispose() => _node.Dispose();
}
