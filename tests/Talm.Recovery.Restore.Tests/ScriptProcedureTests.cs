using System.Text.Json;
using Talm.Recovery.Backup;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// The documented procedure word for word through the real CLI: the backup carries this build's talm,
/// and the engineer runs <c>talm recovery rollback</c>, <c>upgrade-recovery.sh</c>, "reboots", and runs
/// <c>upgrade-recovery.sh --resume</c>.
/// </summary>
public sealed class ScriptProcedureTests
{
    [Fact]
    public async Task Upgrade_recovery_script_runs_the_documented_procedure()
    {
        using var node = await SpokeNode.CreateAsync(new ProgramLocation(AppContext.BaseDirectory, "talm.dll"));
        node.SimulateUpgrade();
        var script = Path.Combine(node.BackupDir, "upgrade-recovery.sh");

        var refused = node.Run(script, "--host-root", node.Host);
        Assert.Equal(4, refused.Exit);
        Assert.Contains("Active ostree deployment is not pinned and should be rolled back.", refused.Err, StringComparison.Ordinal);

        var rollback = node.Run("dotnet", Path.Combine(AppContext.BaseDirectory, "talm.dll"), "recovery", "rollback", "--host-root", node.Host);
        Assert.True(rollback.Exit == 0, rollback.Err);

        var stage1 = node.Run(script, "--host-root", node.Host);
        Assert.True(stage1.Exit == 0, stage1.Err + stage1.Out);
        Assert.Contains($"Please reboot now with 'systemctl reboot', then run '{script} --resume'", stage1.Out, StringComparison.Ordinal);

        var again = node.Run(script, "--host-root", node.Host);
        Assert.Equal(4, again.Exit);
        Assert.Contains("Restore has already started. Use --restart option to restart, or --step to resume", again.Err, StringComparison.Ordinal);

        var resume = node.Run(script, "--host-root", node.Host, "--resume");
        Assert.True(resume.Exit == 0, resume.Err + resume.Out);
        Assert.Contains("Recovery complete", resume.Out, StringComparison.Ordinal);

        var status = node.Run("dotnet", Path.Combine(AppContext.BaseDirectory, "talm.dll"), "recovery", "status", "--host-root", node.Host, "--dir", node.BackupDir, "--output", "json");
        Assert.True(status.Exit == 0, status.Err + status.Out);
        using var json = JsonDocument.Parse(status.Out);
        Assert.True(json.RootElement.GetProperty("backup").GetProperty("verified").GetBoolean());
        Assert.Equal("None", json.RootElement.GetProperty("ostree").GetProperty("rollbackAction").GetString());
        Assert.Equal("not-started", json.RootElement.GetProperty("restore").GetProperty("stage").GetString());
        using (var etcd = EtcdServer.Start(node.EtcdData, "sandbox"))
        {
            Assert.Equal(node.PreUpgradeKeys, etcd.All());
        }
    }
}
