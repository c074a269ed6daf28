using Talm.Recovery.Layout;
using Talm.Recovery.Rollback;

namespace Talm.Recovery.Restore.Tests;

/// <summary>The documented procedure end to end: backup, failed upgrade, rollback, restore, reboot, resume.</summary>
public sealed class RestoreProcedureTests : IDisposable
{
    private readonly SandboxNode _node = new();

    public static readonly string[] StageOneCalls =
    [
        "setenforce 0", "systemctl stop kubelet", "crictl rmp -fa", "systemctl stop crio", "crio wipe -f",
        "systemctl daemon-reload", "systemctl disable kubelet", "setenforce 1",
    ];

    public static readonly string[] StageTwoCalls =
    [
        "systemctl is-active crio", "systemctl enable kubelet", "systemctl restart crio", "systemctl restart kubelet",
    ];

    public static readonly string[] FinalCalls =
    [
        "oc get etcd cluster -o jsonpath={.status.latestAvailableRevision}",
        "oc patch etcd cluster --type=merge -p {\"spec\":{\"forceRedeploymentReason\":\"recovery-{TS}\"}}",
        "oc get etcd cluster -o jsonpath={.status.nodeStatuses[*].currentRevision}",
        "oc get kubeapiserver cluster -o jsonpath={.status.latestAvailableRevision}",
        "oc patch kubeapiserver cluster --type=merge -p {\"spec\":{\"forceRedeploymentReason\":\"recovery-{TS}\"}}",
        "oc get kubeapiserver cluster -o jsonpath={.status.nodeStatuses[*].currentRevision}",
        "oc get kubecontrollermanager cluster -o jsonpath={.status.latestAvailableRevision}",
        "oc patch kubecontrollermanager cluster --type=merge -p {\"spec\":{\"forceRedeploymentReason\":\"recovery-{TS}\"}}",
        "oc get kubecontrollermanager cluster -o jsonpath={.status.nodeStatuses[*].currentRevision}",
        "oc get kubescheduler cluster -o jsonpath={.status.latestAvailableRevision}",
        "oc patch kubescheduler cluster --type=merge -p {\"spec\":{\"forceRedeploymentReason\":\"recovery-{TS}\"}}",
        "oc get kubescheduler cluster -o jsonpath={.status.nodeStatuses[*].currentRevision}",
        "oc get clusterversion,nodes,clusteroperator",
    ];

    [Fact]
    public async Task Backup_upgrade_rollback_restore_reboot_resume_gives_back_the_pre_upgrade_node()
    {
        _node.SimulateUpgrade();
        Assert.Equal(RollbackAction.MakeDefault, PlatformRollback.Inspect(_node.Host).Action);
        var harness = new RestoreHarness(_node);

        // The restore refuses while the upgraded OS is the active deployment.
        var notPinned = await harness.FailsAsync();
        Assert.StartsWith("Active ostree deployment is not pinned and should be rolled back.", notPinned.Message, StringComparison.Ordinal);
        Assert.Empty(_node.StandIns.Calls());

        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        Assert.Equal(RollbackAction.None, PlatformRollback.Inspect(_node.Host).Action);

        // Stage 1, then the reboot the engineer is told to do.
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());
        Assert.Equal(StageOneCalls, _node.StandIns.Calls());
        Assert.Equal(["started", "restore_files"], File.ReadAllLines(Path.Combine(_node.BackupDir, "progress")));
        var script = Path.Combine(_node.BackupDir, BackupLayout.RecoveryScript);
        Assert.Contains($"Please reboot now with 'systemctl reboot', then run '{script} --resume'", harness.Output.ToString(), StringComparison.Ordinal);

        // Running again without --resume refuses and changes nothing.
        var again = await harness.FailsAsync();
        Assert.Equal("Restore has already started. Use --restart option to restart, or --step to resume", again.Message);
        Assert.Equal(StageOneCalls.Length, _node.StandIns.Calls().Count);

        _node.StandIns.ClearCalls();
        Assert.Equal(RestoreOutcome.Complete, await harness.RunAsync(resume: true));

        AssertRestored();
        // As on an OpenShift node: no etcdctl on PATH, the one in static-pod-resources/bin restores the snapshot.
        Assert.Null(_node.StandIns.SearchPath.Split(':').Select(d => Path.Combine(d, "etcdctl")).FirstOrDefault(File.Exists));
        Assert.Contains($"into a fresh data directory with {Path.Combine(_node.Host, "etc/kubernetes/static-pod-resources/bin/etcdctl")}", harness.Output.ToString(), StringComparison.Ordinal);
        var calls = _node.StandIns.Calls().Where(c => !c.StartsWith("crictl ps", StringComparison.Ordinal)).ToList();
        Assert.Equal(StageTwoCalls.Length + FinalCalls.Length, calls.Count);
        Assert.Equal(StageTwoCalls, calls.Take(StageTwoCalls.Length));
        for (var i = 0; i < FinalCalls.Length; i++)
        {
            Assert.Matches("^" + System.Text.RegularExpressions.Regex.Escape(FinalCalls[i]).Replace("\\{TS}", "[0-9_-]+", StringComparison.Ordinal) + "$", calls[StageTwoCalls.Length + i]);
        }

        // The five containers were noted before and awaited after the restart of kubelet.
        var crictl = _node.StandIns.Calls().Where(c => c.StartsWith("crictl ps", StringComparison.Ordinal)).ToList();
        foreach (var name in NodeContainers.Watched)
        {
            Assert.True(crictl.Count(c => c.EndsWith($"--name ^{name}$", StringComparison.Ordinal)) >= 2, name);
        }

        Assert.Contains("Recovery complete", harness.Output.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_node.BackupDir, "progress")));
    }

    /// <summary>Trees identical to the backup, extras back, etcd holding exactly the pre-upgrade keys, pinned OS default.</summary>
    private void AssertRestored()
    {
        var excludes = new ExcludeList(SandboxNode.ExcludeLines);
        var root = _node.BackupRoot;
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(root, "etc"), skip: excludes.IsExcluded), TreeFacts.Describe(Path.Combine(_node.Host, "etc"), skip: excludes.IsExcluded));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(root, "local")), TreeFacts.Describe(Path.Combine(_node.Host, "usr/local")));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(root, "kubelet")), TreeFacts.Describe(Path.Combine(_node.Host, "var/lib/kubelet")));

        // Excluded paths keep what the host has; the static pod manifests come from the backup's revisions.
        Assert.Equal("changed stamp\n", File.ReadAllText(Path.Combine(_node.Host, "etc/.updated")));
        Assert.True(File.Exists(Path.Combine(_node.Host, "etc/pki/ca-trust/extracted/tmpfiles-owned/new.pem")));
        foreach (var (pod, rev) in new[] { ("etcd", 3), ("kube-apiserver", 9), ("kube-controller-manager", 3), ("kube-scheduler", 3) })
        {
            Assert.Equal(
                File.ReadAllText(Path.Combine(root, $"etc/kubernetes/static-pod-resources/{pod}-pod-{rev}/{pod}-pod.yaml")),
                File.ReadAllText(Path.Combine(_node.Host, $"etc/kubernetes/manifests/{pod}-pod.yaml")));
        }

        Assert.False(File.Exists(new BackupDirectory(_node.BackupDir).StoppedEtcdPod));
        Assert.Equal("managed v1\n", File.ReadAllText(Path.Combine(_node.Host, "var/lib/managed/node.conf")));

        using (var etcd = EtcdServer.Start(_node.EtcdData, "sno-node"))
        {
            Assert.Equal(_node.PreUpgradeKeys, etcd.All());
        }

        // The upgraded etcd data is kept aside, not deleted.
        var aside = Directory.GetDirectories(Path.Combine(_node.Host, "var/lib"), "etcd.pre-recovery-*");
        Assert.Single(aside);
        Assert.True(File.Exists(Path.Combine(aside[0], "member/snap/db")));

        var plan = PlatformRollback.Inspect(_node.Host);
        Assert.Equal(RollbackAction.None, plan.Action);
        Assert.Equal(_node.PinnedChecksum, plan.Pinned!.Checksum);
    }

    public void Dispose() => _node.Dispose();
}
