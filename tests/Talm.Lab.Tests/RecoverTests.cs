using Talm.Lab.Recover;
using Talm.Lab.Spokes;
using Talm.Recovery.Manifest;

namespace Talm.Lab.Tests;

/// <summary><c>lab up --fail-upgrade cnfdb1</c>, then <c>lab recover cnfdb1</c>.</summary>
public sealed class RecoverTests
{
    [Fact]
    public async Task A_failed_upgrade_times_out_and_lab_recover_brings_the_spoke_back()
    {
        await using var lab = new LabHarness();
        var options = lab.Options(o => o with { Spokes = 2, FailBackup = [], FailUpgrade = ["cnfdb1"], TimeoutMinutes = 1 });
        var result = await lab.RunAsync(options);

        Assert.True(result.Finished, lab.Output.ToString());
        Assert.Equal("timed out", result.Clusters.Single(c => c.Name == "cnfdb1").Result);
        Assert.Equal("upgraded", result.Clusters.Single(c => c.Name == "cnfdb2").Result);

        var spoke = SpokeDirectory.Of(lab.Dir, "cnfdb1");
        var backupRoot = BackupGenerations.CurrentRoot(spoke.Backup)!;
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
