using System.Text.Json.Nodes;
using Talm.Recovery.Layout;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// A backup is restored only onto the node it came from, running the OS it was taken on (issue 13, item 7):
/// checked before anything changes, overridden only by --force (loudly); and --resume continues only on
/// the host root the restore began on.
/// </summary>
public sealed class BackupOriginTests : IDisposable
{
    private readonly SandboxNode _node = new();

    private SortedDictionary<string, string> HostFacts() => TreeFacts.Describe(_node.Host, skip: rel => rel.StartsWith("sysroot", StringComparison.Ordinal) || rel.StartsWith("boot", StringComparison.Ordinal));

    /// <summary>Rewrites manifest.json as an attacker or a mix-up would: valid JSON, hashes untouched.</summary>
    private void EditManifest(Action<JsonObject> change)
    {
        var path = Path.Combine(_node.BackupRoot, BackupLayout.Manifest);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public async Task A_backup_of_another_host_is_refused_before_any_change()
    {
        EditManifest(m => m["node"] = new JsonObject { ["hostName"] = "other-node", ["machineId"] = "ffffffffffffffffffffffffffffffff", ["osId"] = "rhcos" });
        var before = HostFacts();

        var failure = await new RestoreHarness(_node).FailsAsync();

        Assert.Equal(RestoreFailure.Refused, failure.Kind);
        Assert.Contains("not of this node", failure.Message, StringComparison.Ordinal);
        Assert.Contains("host name: the backup's is other-node, this node's is sno-node", failure.Message, StringComparison.Ordinal);
        Assert.Contains("machine-id", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--force", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_node.StandIns.Calls());
        Assert.False(File.Exists(Path.Combine(_node.BackupDir, "progress")));
        TreeFacts.AssertSame(before, HostFacts());
    }

    [Fact]
    public async Task A_backup_taken_on_another_OS_is_refused_before_any_change()
    {
        EditManifest(m => m["ostree"]!["checksum"] = new string('a', 64));
        var before = HostFacts();

        var failure = await new RestoreHarness(_node).FailsAsync();

        Assert.Equal(RestoreFailure.Refused, failure.Kind);
        Assert.Contains("OS: the backup was taken on 4.14.1 (aaaaaaaaaaaa)", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"this node runs 4.14.1 ({_node.PinnedChecksum[..12]})", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_node.StandIns.Calls());
        TreeFacts.AssertSame(before, HostFacts());
    }

    [Fact]
    public async Task Force_restores_a_mismatched_backup_but_says_so_loudly()
    {
        EditManifest(m => m["node"] = new JsonObject { ["hostName"] = "other-node" });
        var harness = new RestoreHarness(_node);

        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync(force: true));

        Assert.Contains("warning: --force: THIS BACKUP IS NOT OF THIS NODE", harness.Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("host name: the backup's is other-node, this node's is sno-node", harness.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_refuses_a_host_root_other_than_the_one_the_restore_began_on()
    {
        var harness = new RestoreHarness(_node);
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());
        var elsewhere = Path.Combine(_node.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        _node.StandIns.ClearCalls();

        var failure = await new RestoreHarness(elsewhere, _node.BackupDir, _node.Kubeconfig, _node.StandIns).FailsAsync(resume: true);

        Assert.Equal(RestoreFailure.Refused, failure.Kind);
        Assert.Contains($"began on the host root {_node.Host}", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"--host-root {_node.Host} --resume", failure.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        Assert.Empty(_node.StandIns.Calls());
        Assert.Equal(["started", "restore_files"], File.ReadAllLines(Path.Combine(_node.BackupDir, "progress")));

        // On the right host root it carries on.
        Assert.Equal(RestoreOutcome.Complete, await harness.RunAsync(resume: true));
    }

    public void Dispose() => _node.Dispose();
}
