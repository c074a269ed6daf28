using System.Text.RegularExpressions;
using Talm.Recovery.NodeTools;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// The restore on a node as OpenShift leaves it: without an etcd tool in static-pod-resources/bin (the
/// stand-ins' PATH never has one), or with OpenShift's cluster-restore.sh as the reference calls it; heartbeats
/// while it waits. (The default, etcdctl from static-pod-resources/bin, is the procedure every other test runs.)
/// </summary>
public sealed class EtcdRestoreToolTests : IDisposable
{
    private readonly SandboxNode _node = new();

    [Fact]
    public async Task Without_an_etcd_tool_on_the_node_the_restore_stops_before_any_change()
    {
        _node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        File.Delete(Path.Combine(_node.Host, "etc/kubernetes/static-pod-resources/bin/etcdctl"));

        var failure = await new RestoreHarness(_node).FailsAsync();

        Assert.StartsWith("no etcd restore tool on this node: neither etcdutl nor etcdctl in " + Path.Combine(_node.Host, "etc/kubernetes/static-pod-resources/bin"), failure.Message, StringComparison.Ordinal);
        Assert.Contains("dl_etcdctl", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed.", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_node.StandIns.Calls());
        Assert.False(File.Exists(Path.Combine(_node.BackupDir, "progress")));
    }

    [Fact]
    public async Task Openshifts_cluster_restore_script_restores_etcd_when_asked_as_the_reference_calls_it()
    {
        _node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        var harness = new RestoreHarness(_node) { EtcdRestore = EtcdRestoreMethod.ClusterRestoreScript };

        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());
        _node.StandIns.ClearCalls();
        Assert.Equal(RestoreOutcome.Complete, await harness.RunAsync(resume: true));

        var calls = _node.StandIns.Calls();
        Assert.Contains($"cluster-restore.sh {Path.Combine(_node.BackupRoot, "cluster")}", calls);
        Assert.True(calls.ToList().IndexOf($"cluster-restore.sh {Path.Combine(_node.BackupRoot, "cluster")}") < calls.ToList().IndexOf("systemctl restart kubelet"));
        Assert.Contains("cluster-restore.sh: starting snapshot restore through etcdctl...", harness.Output.ToString(), StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_node.Host, "var/lib/etcd-backup/member")));
        Assert.True(File.Exists(Path.Combine(_node.Host, "etc/kubernetes/manifests/etcd-pod.yaml")));
        using var etcd = EtcdServer.Start(_node.EtcdData, "default");
        Assert.Equal(_node.PreUpgradeKeys, etcd.All());
    }

    [Fact]
    public async Task A_wait_says_what_it_waits_for_how_long_so_far_and_the_limit()
    {
        _node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        var harness = new RestoreHarness(_node) { ContainerTimeout = TimeSpan.FromSeconds(2), HeartbeatPeriod = TimeSpan.FromMilliseconds(400) };
        File.WriteAllText(Path.Combine(_node.StandIns.State, "slow-systemctl-stop"), "1");
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());
        Assert.Contains("still waiting for 'systemctl stop kubelet' to finish: 0s so far", harness.Output.ToString(), StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_node.StandIns.State, "kubelet-stuck"), "");

        var failure = await harness.FailsAsync(resume: true);

        Assert.Contains("container etcd did not run with a new ID", failure.Message, StringComparison.Ordinal);
        var beats = Regex.Matches(harness.Output.ToString(), @"still waiting for container etcd to run with a new ID: (\d)s so far, at most 2s");
        Assert.True(beats.Count >= 3, harness.Output.ToString());
        Assert.Equal(beats.Select(b => b.Groups[1].Value).Order(), beats.Select(b => b.Groups[1].Value));
    }

    public void Dispose() => _node.Dispose();
}

/// <summary>What the recovery sends to the journal.</summary>
public sealed class RecoveryJournalTests
{
    [Fact]
    public void Journal_entries_carry_the_tag_the_reference_runbooks_search_for()
    {
        using var dir = new TempDir("talm-journal");
        var logger = Path.Combine(dir.Path, "logger");
        var record = Path.Combine(dir.Path, "logger.args");
        File.WriteAllText(logger, $"#!/bin/bash\nprintf '%s\\n' \"$@\" >> '{record}'\n");
        Talm.Recovery.Platform.Posix.Chmod(logger, 0x1ED);
        var output = new StringWriter();

        var log = new RecoveryLog(output, output, new JournalCopy(logger), TimeProvider.System);
        log.Info("Restoring /etc content");
        log.Error("Stage restore_files failed");

        Assert.Equal(
            ["-t", "upgrade-recovery.sh", $"--id={Environment.ProcessId}", "-p", "user.info", "--", "INFO: Restoring /etc content",
             "-t", "upgrade-recovery.sh", $"--id={Environment.ProcessId}", "-p", "user.err", "--", "ERROR: Stage restore_files failed"],
            File.ReadAllLines(record));
        Assert.Matches(@"^\[\d\d:\d\d:\d\d\] Restoring /etc content\n", output.ToString().Replace("\r", "", StringComparison.Ordinal));
    }
}

/// <summary>The backup's ILogger and the restore's lines reach the same sink: one format, one journal copy.</summary>
public sealed class RecoveryLoggerProviderTests
{
    [Fact]
    public void ILogger_messages_reach_the_console_and_the_journal_as_the_restore_lines_do()
    {
        using var dir = new TempDir("talm-journal");
        var logger = Path.Combine(dir.Path, "logger");
        var record = Path.Combine(dir.Path, "logger.args");
        File.WriteAllText(logger, $"#!/bin/bash\nprintf '%s\\n' \"$5\" \"$7\" >> '{record}'\n");
        Talm.Recovery.Platform.Posix.Chmod(logger, Talm.Recovery.Platform.FileModes.OwnerOnly);
        var output = new StringWriter();
        var errors = new StringWriter();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 9, 5, 7, TimeSpan.Zero));
        var sink = new RecoveryLog(output, errors, new JournalCopy(logger), time, fullTimestamps: true);

        using (var provider = new RecoveryLoggerProvider(sink, Microsoft.Extensions.Logging.LogLevel.Information))
        {
            var log = provider.CreateLogger("talm.backup");
            Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(log, "Pinned deployment {Deployment}", "abc.0");
            Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(log, "No ostree sysroot at {Sysroot}", "/host/sysroot");
            Microsoft.Extensions.Logging.LoggerExtensions.LogDebug(log, "not shown below --verbose");
        }

        Assert.Equal("2026-12-06T09:05:07Z Pinned deployment abc.0\n", output.ToString().Replace("\r", "", StringComparison.Ordinal));
        Assert.Equal("2026-12-06T09:05:07Z warning: No ostree sysroot at /host/sysroot\n", errors.ToString().Replace("\r", "", StringComparison.Ordinal));
        Assert.Equal(["user.info", "INFO: Pinned deployment abc.0", "user.warning", "WARNING: No ostree sysroot at /host/sysroot"], File.ReadAllLines(record));
    }
}
