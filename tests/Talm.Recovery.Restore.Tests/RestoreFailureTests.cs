namespace Talm.Recovery.Restore.Tests;

/// <summary>A failure injected in each stage; --restart then finishes the job and the node is as at backup time.</summary>
public sealed class RestoreFailureTests
{
    [Theory]
    [InlineData("crio", "wipe", "restore_files", "crio wipe -f", new[] { "started" })]
    [InlineData("systemctl", "restart", "restore_cluster", "systemctl restart crio", new[] { "started", "restore_files" })]
    [InlineData("oc", "patch", "redeploy", "oc patch etcd cluster", new[] { "started", "restore_files", "restore_cluster" })]
    public async Task Restart_after_a_failure_in_a_stage_completes_the_restore(string tool, string arg, string stage, string command, string[] recorded)
    {
        using var node = await SpokeNode.CreateAsync();
        node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(node.Host);
        var harness = new RestoreHarness(node.Host, node.BackupDir, node.Kubeconfig, node.StandIns);
        node.StandIns.Fail(tool, arg);

        var failure = stage == "restore_files"
            ? await harness.FailsAsync()
            : await RunUntilFailureAsync(harness);

        Assert.Contains($"Stage {stage} failed: step {stage}: '{command}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("injected failure", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--resume", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--restart", failure.Message, StringComparison.Ordinal);
        Assert.Equal(recorded, File.ReadAllLines(Path.Combine(node.BackupDir, "progress")));
        if (stage == "restore_files")
        {
            // SELinux is put back to enforcing even though the stage failed.
            Assert.Equal("setenforce 1", node.StandIns.Calls()[^1]);
        }

        node.StandIns.Heal();
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync(restart: true));
        Assert.Equal(["started", "restore_files"], File.ReadAllLines(Path.Combine(node.BackupDir, "progress")));
        Assert.Equal(RestoreOutcome.Complete, await harness.RunAsync(resume: true));

        var excludes = ExcludeList.Load(Path.Combine(node.BackupRoot, "etc.exclude.list"));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(node.BackupRoot, "etc"), skip: excludes.IsExcluded), TreeFacts.Describe(Path.Combine(node.Host, "etc"), skip: excludes.IsExcluded));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(node.BackupRoot, "kubelet")), TreeFacts.Describe(Path.Combine(node.Host, "var/lib/kubelet")));
        using (var etcd = EtcdServer.Start(node.EtcdData, "sandbox"))
        {
            Assert.Equal(node.PreUpgradeKeys, etcd.All());
        }

        // However many attempts, the upgraded etcd data was moved aside once and kept.
        Assert.Single(Directory.GetDirectories(Path.Combine(node.Host, "var/lib"), "etcd.pre-recovery-*"));
        Assert.False(File.Exists(Path.Combine(node.BackupDir, "progress")));
    }

    [Fact]
    public async Task An_io_error_mid_restore_is_a_stage_failure_with_its_own_exit_code_and_resume_finishes_after_the_fix()
    {
        using var node = new SandboxNode();
        node.SimulateUpgrade();
        await new RollbackTests.Runner().RollbackAsync(node.Host);
        // /usr/local on a filesystem that has turned read-only: the mirror's first change fails with EROFS,
        // in a parallel phase, after kubelet and CRI-O were stopped and `crio wipe` ran.
        var local = Path.Combine(node.Host, "usr/local");
        var upgraded = Path.Combine(node.Root, "local-upgraded");
        Sh.Run("cp", "-a", local, upgraded);
        Sh.Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", local);
        try
        {
            Sh.Bash($"cp -a '{upgraded}/.' '{local}/' && mount -o remount,ro '{local}'");

            var cli = RunCli(node, "recovery", "restore", "--host-root", node.Host, "--dir", node.BackupDir);

            Assert.Equal(5, cli.Exit);
            Assert.Contains("Stage restore_files failed: ", cli.Err, StringComparison.Ordinal);
            Assert.Contains("Read-only file system", cli.Err, StringComparison.Ordinal);
            Assert.Contains($"then run '{Path.Combine(node.BackupDir, "upgrade-recovery.sh")} --resume'", cli.Err, StringComparison.Ordinal);
            Assert.DoesNotContain("AggregateException", cli.Err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", cli.Err, StringComparison.Ordinal);
            Assert.Equal(["started"], File.ReadAllLines(Path.Combine(node.BackupDir, "progress")));
            Assert.Equal("setenforce 1", node.StandIns.Calls()[^1]);

            // The engineer fixes the cause and resumes: the stage runs again from its start and completes.
            Sh.Run("mount", "-o", "remount,rw", local);
            var harness = new RestoreHarness(node);
            Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync(resume: true));
            TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(node.BackupRoot, "local"), withTimes: false), TreeFacts.Describe(local, withTimes: false));
        }
        finally
        {
            Sh.Run("umount", "-l", local);
        }
    }

    private static (int Exit, string Out, string Err) RunCli(SandboxNode node, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "talm.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["PATH"] = node.StandIns.SearchPath;
        start.Environment["KUBECONFIG"] = node.Kubeconfig;
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    private static async Task<RestoreFailedException> RunUntilFailureAsync(RestoreHarness harness)
    {
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());
        return await harness.FailsAsync(resume: true);
    }
}
