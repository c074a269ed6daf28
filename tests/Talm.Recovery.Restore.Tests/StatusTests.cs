using System.Text.Json;
using Talm.Recovery.Status;

namespace Talm.Recovery.Restore.Tests;

public sealed class StatusTests : IDisposable
{
    private readonly SandboxNode _node = new();

    [Fact]
    public async Task Shows_the_backup_the_rollback_the_table_calls_for_and_the_stage_reached()
    {
        _node.SimulateUpgrade();

        var before = await StatusCollector.CollectAsync(_node.Host, _node.BackupDir, verify: true, 2, CancellationToken.None);

        Assert.True(before.Backup.Present);
        Assert.True(before.Backup.Verified);
        Assert.Equal("sno-node", before.Backup.Host);
        Assert.Equal("4.14.1", before.Backup.OsVersion);
        Assert.Equal(42, before.Backup.EtcdRevision);
        Assert.True(before.Backup.Bytes > 300_000);
        Assert.Equal(["4.15.0", "4.14.1"], before.Ostree.Deployments.Select(d => d.Version));
        Assert.Equal("MakeDefault", before.Ostree.RollbackAction);
        Assert.Equal("not-started", before.Restore.Stage);

        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        Assert.Equal(RestoreOutcome.RebootRequired, await new RestoreHarness(_node).RunAsync());
        var after = await StatusCollector.CollectAsync(_node.Host, _node.BackupDir, verify: false, 2, CancellationToken.None);

        Assert.Null(after.Backup.Verified);
        Assert.Equal("None", after.Ostree.RollbackAction);
        Assert.Equal("restore_files", after.Restore.Stage);
        Assert.Contains("--resume", after.Restore.Next, StringComparison.Ordinal);

        // The JSON form scripts read carries the same facts.
        var json = JsonSerializer.Serialize(after, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("restore_files", doc.RootElement.GetProperty("restore").GetProperty("stage").GetString());
        Assert.Equal("4.14.1", doc.RootElement.GetProperty("backup").GetProperty("osVersion").GetString());
    }

    [Fact]
    public async Task Reports_a_damaged_backup_as_not_verifying()
    {
        File.AppendAllText(Path.Combine(_node.BackupRoot, "etc/hostname"), "tampered");

        var status = await StatusCollector.CollectAsync(_node.Host, _node.BackupDir, verify: true, 2, CancellationToken.None);

        Assert.False(status.Backup.Verified);
        Assert.Contains(status.Backup.VerifyProblems, p => p.StartsWith("etc/hostname", StringComparison.Ordinal));
    }

    public void Dispose() => _node.Dispose();
}
