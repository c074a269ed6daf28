using Talm.Recovery.Verify;

namespace Talm.Recovery.Tests;

public sealed class PhaseTimingTests
{
    [Fact]
    public async Task Verbose_backup_logs_the_time_of_each_phase_and_plain_runs_do_not()
    {
        using var host = await TestHost.CreateAsync();
        var plain = await TestHost.RunCliAsync(["recovery", "backup", .. host.BackupArgs()]);
        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.DoesNotContain("Phase timings", plain.Error, StringComparison.Ordinal);

        var verbose = await TestHost.RunCliAsync(["recovery", "backup", .. host.BackupArgs(), "--verbose"]);
        Assert.True(verbose.ExitCode == 0, verbose.Error);
        var line = Assert.Single(verbose.Error.Split('\n'), l => l.Contains("Phase timings:", StringComparison.Ordinal));
        // Every phase of a second backup, in the order they end, each with its seconds; then those that run beside others.
        string[] phases = ["scan", "space estimate", "copy", "snapshot wait", "describe", "pin", "sync wait", "manifest", "commit", "recycle previous"];
        var at = 0;
        foreach (var phase in phases)
        {
            var found = line.IndexOf(phase + " ", at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"no '{phase}' after position {at} in: {line}");
            at = found + phase.Length;
        }

        foreach (var concurrent in (string[])["previous manifest", "etcd snapshot", "static pods archive", "extras", "sync"])
        {
            Assert.Contains(concurrent + " (concurrent) ", line, StringComparison.Ordinal);
        }

        Assert.Matches(@"; total \d+\.\d\d s", line);
        Assert.True((await BackupVerifier.VerifyAsync(host.BackupDir)).Intact);
    }
}
