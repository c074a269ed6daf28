using System.Text.Json;
using Talm.KubeApi;
using Talm.Lab.Recover;
using Talm.Recovery.Backup;
using Talm.Recovery.Host;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Rollback;
using Talm.Recovery.Systemd;
using Talm.Recovery.Unattended;
using k8s;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// <c>restore --unattended</c>: the one command on a sandbox node (real ostree, real etcd, the real CLI the backup
/// carries), the unit it writes, a simulated boot that runs that unit as systemd would, and the result on the node and
/// in the embedded API server, read back with the Kubernetes client.
/// </summary>
public sealed class UnattendedRestoreTests
{
    private static readonly string TalmDll = Path.Combine(AppContext.BaseDirectory, "talm.dll");

    [Fact]
    public async Task One_command_rolls_back_restores_and_the_unit_finishes_after_the_reboot()
    {
        using var node = await SpokeNode.CreateAsync(new ProgramLocation(AppContext.BaseDirectory, "talm.dll"));
        node.SimulateUpgrade();
        var unitFile = Path.Join(node.Host, RestoreUnit.Directory, RestoreUnit.Name);
        var systemctl = Path.Combine(node.StandIns.Bin, "systemctl");

        var start = node.Run("dotnet", TalmDll, "recovery", "restore", "--host-root", node.Host, "--dir", node.BackupDir, "--unattended", "--reboot");
        Assert.True(start.Exit == 0, start.Err + start.Out);
        Assert.Contains("rolling back first", start.Out, StringComparison.Ordinal);
        Assert.Contains("Stage restore_files complete", start.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Please reboot now", start.Out, StringComparison.Ordinal);

        // The unit: the agent in the backup's bin/ continuing this restore once, after what it needs.
        var unit = SystemdUnitFile.Parse(File.ReadAllText(unitFile));
        Assert.Equal("oneshot", unit.Get("Service", "Type"));
        var exec = Argv(Assert.Single(unit.Exec("ExecStart")));
        var agent = exec.TakeWhile(a => a != "recovery").Last();
        Assert.StartsWith(Path.Combine(node.BackupDir, BackupLayout.BinDir) + "/", agent, StringComparison.Ordinal);
        Assert.True(File.Exists(agent), agent);
        Assert.Equal(["recovery", "restore", "--dir", node.BackupDir, "--host-root", node.Host, "--resume", "--unattended", "--reboot"], exec.SkipWhile(a => a != "recovery"));
        Assert.Equal([systemctl, "--root=" + node.Host, "disable", RestoreUnit.Name], Argv(Assert.Single(unit.Exec("ExecStartPre"))));
        Assert.Equal(["network-online.target", "crio.service"], unit.Get("Unit", "After")!.Split(' '));
        Assert.Equal("network-online.target", unit.Get("Unit", "Wants"));
        Assert.Equal(node.BackupDir, unit.Get("Unit", "RequiresMountsFor"));
        Assert.Equal(RecoveryLog.JournalTag, unit.Get("Service", "SyslogIdentifier"));
        Assert.Equal(node.Kubeconfig, unit.Environment()["KUBECONFIG"]);
        Assert.Equal("/root", unit.Environment()["HOME"]);
        Assert.Equal("multi-user.target", unit.Get("Install", "WantedBy"));
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            // systemd's own parser: no unknown key or bad value in the file, and every command it names is there to run.
            var verify = node.Run("/usr/bin/systemd-analyze", "verify", unitFile);
            Assert.True(verify.Exit == 0, verify.Err);
            Assert.DoesNotContain(unitFile + ":", verify.Err + verify.Out, StringComparison.Ordinal);
        }

        // Enabled (the stand-in made the link systemctl makes), then the reboot; the files were restored before either.
        var calls = node.StandIns.Calls().ToList();
        var enabled = calls.IndexOf($"systemctl --root={node.Host} enable {RestoreUnit.Name}");
        Assert.True(enabled > calls.IndexOf("systemctl disable kubelet") && calls.IndexOf("systemctl disable kubelet") >= 0, string.Join("\n", calls));
        Assert.Equal(enabled + 1, calls.IndexOf("systemctl reboot"));
        Assert.Equal([RestoreUnit.Name], SimulatedBoot.EnabledUnits(node.Host).Select(u => u.Name));
        var armed = new BackupDirectory(node.BackupDir).RestoreResult.TryRead()!;
        Assert.Equal((UnattendedState.Armed, RestoreStage.RestoreFiles), (armed.State, armed.Stage));

        // The boot: the API server is back (its kubeconfig where the unit's KUBECONFIG points), systemd runs the unit.
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { KubeconfigPath = node.Kubeconfig });
        node.StandIns.ClearCalls();
        var run = Assert.Single(await SimulatedBoot.RunAsync(node.Host, new Dictionary<string, string> { ["PATH"] = node.StandIns.SearchPath }, Path.Combine(node.BackupDir, "..", "boot.log"), default));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Recovery complete", run.Output, StringComparison.Ordinal);

        calls = [.. node.StandIns.Calls()];
        // Disabled twice: by the unit's own ExecStartPre before the agent starts, and by the agent before it restores.
        var disable = $"systemctl --root={node.Host} disable {RestoreUnit.Name}";
        Assert.Equal([disable, disable], calls.Take(2));
        Assert.Equal(2, calls.Count(c => c == disable));
        Assert.DoesNotContain("systemctl reboot", calls);
        Assert.Empty(SimulatedBoot.EnabledUnits(node.Host));
        Assert.False(File.Exists(unitFile));

        var result = new BackupDirectory(node.BackupDir).RestoreResult.TryRead()!;
        Assert.Equal((UnattendedState.Succeeded, RestoreStage.Final, 1), (result.State, result.Stage, result.Runs));
        Assert.Equal(new BackupDirectory(node.BackupDir).CurrentId(), result.Generation);
        Assert.NotNull(result.PublishedAt);
        Assert.True(result.StartedAt > result.ArmedAt && result.FinishedAt >= result.StartedAt);

        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(node.Kubeconfig));
        var configMap = await client.CoreV1.ReadNamespacedConfigMapAsync(ResultConfigMap.Name, ResultConfigMap.Namespace);
        Assert.Equal(UnattendedState.Succeeded, configMap.Data["state"]);
        Assert.Equal(result.Generation, configMap.Data["generation"]);

        using (var etcd = EtcdServer.Start(node.EtcdData, "sandbox"))
        {
            Assert.Equal(node.PreUpgradeKeys, etcd.All());
        }

        var status = node.Run("dotnet", TalmDll, "recovery", "status", "--host-root", node.Host, "--dir", node.BackupDir, "--no-verify", "--output", "json");
        using var json = JsonDocument.Parse(status.Out);
        Assert.Equal(UnattendedState.Succeeded, json.RootElement.GetProperty("restore").GetProperty("unattended").GetProperty("state").GetString());
        Assert.Contains("in the cluster: ConfigMap openshift-talo-backup/talm-recovery-result",
            node.Run("dotnet", TalmDll, "recovery", "status", "--host-root", node.Host, "--dir", node.BackupDir, "--no-verify").Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_after_the_reboot_is_recorded_as_failed_the_unit_never_runs_again_and_resume_by_hand_finishes()
    {
        using var node = await SpokeNode.CreateAsync();
        var output = new StringWriter();
        // Someone restores the files by hand (slowly): a second restore meanwhile is refused before it changes anything.
        var slow = Path.Combine(node.StandIns.State, "slow-setenforce-0");
        File.WriteAllText(slow, "3");
        using (var byHand = node.Start("dotnet", TalmDll, "recovery", "restore", "--host-root", node.Host, "--dir", node.BackupDir))
        {
            await WaitForAsync(() => node.StandIns.Calls().Contains("setenforce 0"));
            var busy = await Assert.ThrowsAsync<RestoreFailedException>(() => new RestoreHarness(node.Host, node.BackupDir, node.Kubeconfig, node.StandIns).RunAsync(resume: true));
            Assert.Contains("another restore is running", busy.Message, StringComparison.Ordinal);
            await byHand.WaitForExitAsync();
            Assert.Equal(0, byHand.ExitCode);
        }

        File.Delete(slow);
        // The files are restored already: --unattended only arms the unit for the rest.
        Assert.Equal(UnattendedOutcome.Rebooting, await Unattended(node, output, resume: false).RunAsync(default));
        Assert.True(File.Exists(Path.Join(node.Host, RestoreUnit.Directory, RestoreUnit.Name)));
        Assert.Single(node.StandIns.Calls(), c => c == "crictl rmp -fa");

        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { KubeconfigPath = node.Kubeconfig });
        node.StandIns.Fail("oc", "patch");
        node.StandIns.ClearCalls();
        var e = await Assert.ThrowsAsync<RestoreFailedException>(() => Unattended(node, output, resume: true).RunAsync(default));
        Assert.Equal(RestoreFailure.StageFailed, e.Kind);

        var result = new BackupDirectory(node.BackupDir).RestoreResult.TryRead()!;
        Assert.Equal((UnattendedState.Failed, RestoreStage.RestoreCluster), (result.State, result.Stage));
        Assert.Contains("Stage redeploy failed", result.Message, StringComparison.Ordinal);
        Assert.Contains("oc patch", result.Message, StringComparison.Ordinal);
        Assert.Contains("will not run again", result.Next, StringComparison.Ordinal);
        Assert.Contains("--resume' by hand", result.Next, StringComparison.Ordinal);
        Assert.Empty(SimulatedBoot.EnabledUnits(node.Host));
        Assert.False(File.Exists(Path.Join(node.Host, RestoreUnit.Directory, RestoreUnit.Name)));
        Assert.Contains($"systemctl --root={node.Host} disable {RestoreUnit.Name}", node.StandIns.Calls());
        Assert.DoesNotContain("systemctl reboot", node.StandIns.Calls());

        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(node.Kubeconfig));
        var configMap = await client.CoreV1.ReadNamespacedConfigMapAsync(ResultConfigMap.Name, ResultConfigMap.Namespace);
        Assert.Equal((UnattendedState.Failed, RestoreStage.RestoreCluster), (configMap.Data["state"], configMap.Data["stage"]));
        Assert.Contains("oc patch", configMap.Data["message"], StringComparison.Ordinal);

        // Where the unit left it, a person fixes the cause and resumes by hand.
        node.StandIns.Heal();
        Assert.Equal(RestoreOutcome.Complete, await new RestoreHarness(node.Host, node.BackupDir, node.Kubeconfig, node.StandIns).RunAsync(resume: true));
    }

    [Fact]
    public async Task On_a_live_node_the_unit_goes_into_the_pinned_deployments_own_etc_after_the_rollback_and_a_damaged_backup_stops_it_first()
    {
        using var node = await SpokeNode.CreateAsync();
        node.SimulateUpgrade();
        // Under a host root libostree marks nothing booted: the seam says what a live node's list says, the upgraded deployment booted.
        IReadOnlyList<OstreeDeployment> Live(HostPaths host) =>
            new NodeOstree(host).Deployments().Select(d => d with { Booted = !d.Pinned && d.Index == 0 }).ToList();

        var pinned = Live(new HostPaths(node.Host)).Single(d => d.Pinned);
        var deploymentEtc = Path.Join(node.Host, "ostree/deploy", pinned.OsName, "deploy", pinned.Id, RestoreUnit.Directory);
        var snapshot = Path.Combine(node.BackupRoot, ManifestStore.Read(node.BackupRoot).Etcd.SnapshotFile);
        var original = File.ReadAllBytes(snapshot);
        var times = Talm.Recovery.Platform.Posix.LStat(snapshot);
        File.WriteAllBytes(snapshot, [.. original.AsSpan(0, original.Length - 1), (byte)(original[^1] ^ 1)]);

        var output = new StringWriter();
        var refused = await Assert.ThrowsAsync<RestoreFailedException>(() => Unattended(node, output, resume: false, Live).RunAsync(default));
        Assert.Contains("is damaged", refused.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackAction.MakeDefault, PlatformRollback.Inspect(node.Host).Action);
        Assert.False(Directory.Exists(deploymentEtc) && File.Exists(Path.Combine(deploymentEtc, RestoreUnit.Name)));

        File.WriteAllBytes(snapshot, original);
        Talm.Recovery.Platform.Posix.SetTimes(snapshot, times.AtimeNs, times.MtimeNs);
        Assert.Equal(UnattendedOutcome.Rebooting, await Unattended(node, output, resume: false, Live).RunAsync(default));
        Assert.Equal(RollbackAction.None, PlatformRollback.Inspect(node.Host).Action);
        Assert.True(File.Exists(Path.Combine(deploymentEtc, RestoreUnit.Name)), output.ToString());
        Assert.True(File.Exists(Path.Combine(deploymentEtc, RestoreUnit.WantedBy + ".wants", RestoreUnit.Name)));
        Assert.False(File.Exists(Path.Join(node.Host, RestoreUnit.Directory, RestoreUnit.Name)));
        // Nothing restored yet: on a node the files go into the pinned deployment's /etc, which runs only after the reboot.
        Assert.False(new BackupDirectory(node.BackupDir).Progress.Exists);
        var calls = node.StandIns.Calls().ToList();
        Assert.Equal(calls.IndexOf($"systemctl --root={Path.Join(node.Host, "ostree/deploy", pinned.OsName, "deploy", pinned.Id)} enable {RestoreUnit.Name}") + 1, calls.IndexOf("systemctl reboot"));
        Assert.Equal(UnattendedState.Armed, new BackupDirectory(node.BackupDir).RestoreResult.TryRead()!.State);
    }

    [Fact]
    public void The_unit_quotes_what_systemd_would_split_or_expand_and_reads_back_word_for_word()
    {
        var unit = new RestoreUnit
        {
            Command = ["/var/recovery/bin/talm-recovery", "recovery", "restore", "--dir", "/var/re covery/50%", "--host-root", "/mnt/$HOME \"x\""],
            BackupDir = "/var/recovery",
            Systemctl = ["/usr/bin/systemctl"],
            Environment = new Dictionary<string, string> { ["KUBECONFIG"] = "/etc/kube config" },
        };
        var parsed = SystemdUnitFile.Parse(unit.Render());
        Assert.Equal(unit.Command, Argv(Assert.Single(parsed.Exec("ExecStart"))));
        Assert.Contains("50%%", unit.Render(), StringComparison.Ordinal);
        Assert.Contains("$$HOME", unit.Render(), StringComparison.Ordinal);
        Assert.Equal("/etc/kube config", parsed.Environment()["KUBECONFIG"]);
        var pre = Assert.Single(parsed.Exec("ExecStartPre"));
        Assert.Equal(["/usr/bin/systemctl", "disable", RestoreUnit.Name], Argv(pre));
        Assert.False(pre.IgnoreFailure);
        Assert.Equal("infinity", parsed.Get("Service", "TimeoutStartSec"));
    }

    [Fact]
    public async Task Without_an_API_server_the_result_stays_on_the_node_after_the_limit_with_heartbeats()
    {
        using var dir = new TempDir();
        var kubeconfig = Path.Combine(dir.Path, "kubeconfig");
        // A loopback port nothing listens on (bound, then released).
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            File.WriteAllText(kubeconfig, Kubeconfig.Render(new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}")));
        }

        var output = new StringWriter();
        var publisher = new ResultPublisher(new RecoveryLog(output, output, null, TimeProvider.System), TimeProvider.System)
        {
            Limit = TimeSpan.FromMilliseconds(900), Interval = TimeSpan.FromMilliseconds(200), HeartbeatPeriod = TimeSpan.FromMilliseconds(300),
        };
        var result = await publisher.PublishAsync(kubeconfig, new UnattendedResult { State = UnattendedState.Failed, Stage = RestoreStage.RestoreFiles }, default);
        Assert.Null(result.PublishedAt);
        Assert.Contains("Connection refused", result.PublishProblem, StringComparison.Ordinal);
        Assert.Contains("asking again every", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("still waiting for the API server", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("The result is not in the cluster", output.ToString(), StringComparison.Ordinal);
    }

    private static UnattendedRestore Unattended(SpokeNode node, StringWriter output, bool resume, Func<HostPaths, IReadOnlyList<OstreeDeployment>>? deployments = null)
    {
        var options = new RestoreOptions
        {
            HostRoot = node.Host,
            BackupDir = node.BackupDir,
            Resume = resume,
            Kubeconfig = node.Kubeconfig,
            ContainerTimeout = TimeSpan.FromSeconds(5),
            RedeployTimeout = TimeSpan.FromSeconds(5),
            PollInterval = TimeSpan.FromMilliseconds(50),
            Parallelism = 2,
        };
        var tools = new NodeToolRunner(node.StandIns.SearchPath, new Dictionary<string, string> { ["KUBECONFIG"] = node.Kubeconfig });
        var log = new RecoveryLog(output, output, null, TimeProvider.System);
        return new UnattendedRestore(options, tools, log, TimeProvider.System)
        {
            Reboot = true,
            Publisher = new ResultPublisher(log, TimeProvider.System) { Limit = TimeSpan.FromSeconds(5) },
            ReadDeployments = deployments ?? UnattendedRestore.LibostreeDeployments,
        };
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }
    }

    private static List<string> Argv(ExecCommand command) => [command.Program, .. command.Arguments];
}
