using Talm.Lab.Recover;
using Talm.Lab.Spokes;
using Talm.Recovery.Layout;

namespace Talm.Lab.Tests;

/// <summary><c>lab up --fail-upgrade cnfdb1,cnfdb2</c>, then <c>lab recover cnfdb1</c> step by step and <c>lab recover cnfdb2 --unattended</c>.</summary>
public sealed class RecoverTests
{
    [Fact]
    public async Task A_failed_upgrade_times_out_and_lab_recover_brings_the_spoke_back()
    {
        await using var lab = new LabHarness();
        var options = lab.Options(o => o with { Spokes = 2, FailBackup = [], FailUpgrade = ["cnfdb1", "cnfdb2"], TimeoutMinutes = 1 });
        var result = await lab.RunAsync(options);

        Assert.True(result.Finished, lab.Output.ToString());
        Assert.All(result.Clusters, c => Assert.Equal("timed out", c.Result));

        var spoke = SpokeDirectory.Of(lab.Dir, "cnfdb1");
        var backupRoot = new BackupDirectory(spoke.Backup).CurrentRoot()!;
        var broken = await LabRecovery.ProveAsync(spoke, backupRoot, default);
        Assert.False(broken.PinnedIsDefault);
        Assert.NotEmpty(broken.TreeProblems);
        Assert.NotEmpty(broken.EtcdProblems);

        var output = new StringWriter();
        var proof = await new LabRecovery(LabHarness.Talm, output).RecoverAsync(lab.Dir, "cnfdb1", default);
        Assert.True(proof.Ok, output.ToString());
        Assert.True(proof.EtcdKeys > 100);
        Assert.Contains("cnfdb1 is recovered.", output.ToString(), StringComparison.Ordinal);
        var calls = File.ReadAllLines(Path.Combine(spoke.NodeTools, "state", "calls.log"));
        Assert.Contains(calls, c => c.StartsWith("crictl rmp", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.StartsWith("oc patch etcd cluster", StringComparison.Ordinal));

        // The same, unattended: one command, then the unit at the simulated boot; its result on the node and in the ConfigMap.
        output = new StringWriter();
        proof = await new LabRecovery(LabHarness.Talm, output).RecoverAsync(lab.Dir, "cnfdb2", default, unattended: true);
        Assert.True(proof.Ok, output.ToString());
        Assert.Empty(proof.UnattendedProblems);
        Assert.Contains("ConfigMap openshift-talo-backup/talm-recovery-result: state=succeeded, stage=redeploy", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("cnfdb2 is recovered.", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovering_a_spoke_that_was_never_upgraded_says_what_to_do()
    {
        await using var lab = new LabHarness();
        var e = await Assert.ThrowsAsync<LabRecoveryException>(() =>
            new LabRecovery(LabHarness.Talm, new StringWriter()).RecoverAsync(lab.Dir, "cnfdb9", default));
        Assert.Contains("--fail-upgrade cnfdb9", e.Message, StringComparison.Ordinal);
    }
}
