using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Processes;
using Talm.Recovery.Verify;

namespace Talm.Sandbox.Tests;

/// <summary>
/// The real agent (<c>talm launchBackup</c>) in the backup Job's pod, on a node whose etcd serves TLS on
/// its IP only and whose /sysroot is read-only: what failed on the first real node fails here too, and the
/// agent now passes.
/// </summary>
public sealed partial class AgentInPodTests
{
    private const string Certs = "/host/etc/kubernetes/static-pod-resources/etcd-certs";

    [Fact]
    public async Task What_fails_on_a_real_node_fails_in_the_pod_and_changes_nothing()
    {
        await using var host = await PodHost.CreateAsync();
        var before = await DeploymentsAsync(host);

        // The endpoint the old discovery dialled: the pod's own loopback, where nothing listens.
        var loopback = await host.RunAsync(PodHost.BackupJobRunning(null, "launchBackup", "--etcd-endpoint", "https://localhost:2379",
            "--etcd-cacert", Certs + "/configmaps/etcd-serving-ca/ca-bundle.crt",
            "--etcd-cert", Certs + "/secrets/etcd-all-certs/etcd-peer-sno-sandbox.crt", "--etcd-key", Certs + "/secrets/etcd-all-certs/etcd-peer-sno-sandbox.key"));
        Assert.Equal(Talm.Cli.Commands.ExitCodes.BackupFailed, loopback.ExitCode);
        Assert.Contains("etcd at https://localhost:2379/", loopback.Log, StringComparison.Ordinal);

        // A node that names only a loopback URL (the old discovery's answer): refused in the pod, whose loopback is its own.
        var envFile = Path.Combine(host.Root, "etc/kubernetes/static-pod-resources/etcd-certs/configmaps/etcd-scripts/etcd.env");
        var manifest = Path.Combine(host.Root, "etc/kubernetes/manifests/etcd-pod.yaml");
        var (env, pod) = (await File.ReadAllTextAsync(envFile), await File.ReadAllTextAsync(manifest));
        File.Delete(envFile);
        await File.WriteAllTextAsync(manifest, "spec:\n  containers:\n  - name: etcd\n    command: [\"etcd\", \"--listen-client-urls=https://localhost:2379\"]\n");
        var loopbackOnly = await host.RunAsync(PodHost.BackupJob());
        await File.WriteAllTextAsync(envFile, env);
        await File.WriteAllTextAsync(manifest, pod);
        Assert.Equal(Talm.Cli.Commands.ExitCodes.BackupFailed, loopbackOnly.ExitCode);
        Assert.Contains("the only etcd client URL found is https://localhost:2379/", loopbackOnly.Log, StringComparison.Ordinal);
        Assert.Contains("does not run in the node's network namespace", loopbackOnly.Log, StringComparison.Ordinal);

        // ostree pointed at the Job's /host/sysroot: RHCOS keeps the bootloader entries on the boot partition
        // (/host/boot), so /sysroot/boot is empty and ostree lists no deployment to pin.
        var physicalRoot = await host.RunAsync(PodHost.BackupJobRunning(["ostree"], "admin", "status", "--sysroot=/host/sysroot"));
        Assert.Contains("No deployments", physicalRoot.Log, StringComparison.Ordinal);

        // ostree on the host root as the node sees it, without the remount: RHCOS's read-only /sysroot and /boot.
        var noRemount = await host.RunAsync(PodHost.BackupJobRunning(["sh", "-c"], "ln -s sysroot/ostree /host/ostree && ostree admin undeploy --sysroot=/host 1"));
        Assert.NotEqual(0, noRemount.ExitCode);
        Assert.Contains("Read-only file system", noRemount.Log, StringComparison.Ordinal);

        // A Job without the host-var-recovery volume: the backup would land in the pod and vanish with it.
        var noRecoveryVolume = PodHost.BackupJob();
        var spec = noRecoveryVolume["spec"]!["template"]!["spec"]!;
        Remove(spec["volumes"]!.AsArray(), "host-var-recovery");
        Remove(spec["containers"]![0]!["volumeMounts"]!.AsArray(), "host-var-recovery");
        var lost = await host.RunAsync(noRecoveryVolume);
        Assert.Equal(Talm.Cli.Commands.ExitCodes.BackupFailed, lost.ExitCode);
        Assert.Contains("missing mounts", lost.Log, StringComparison.Ordinal);
        Assert.Contains("the backup directory /host/var/recovery: no volume is mounted there", lost.Log, StringComparison.Ordinal);

        // A machine-config file in /opt (RHCOS: /var/opt), which none of the Job's volumes shows.
        var config = Path.Combine(host.Root, "etc/machine-config-daemon/currentconfig");
        var original = await File.ReadAllTextAsync(config);
        await File.WriteAllTextAsync(config, original.Replace("\"/var/lib/site/ntp-extra.conf\"", "\"/opt/site/ntp-extra.conf\"", StringComparison.Ordinal));
        var unseen = await host.RunAsync(PodHost.BackupJob());
        await File.WriteAllTextAsync(config, original);
        Assert.Equal(Talm.Cli.Commands.ExitCodes.BackupFailed, unseen.ExitCode);
        Assert.Contains("/opt/site/ntp-extra.conf (a machine-config file", unseen.Log, StringComparison.Ordinal);
        Assert.Contains("no volume covers /host/opt/site/ntp-extra.conf", unseen.Log, StringComparison.Ordinal);

        var after = await DeploymentsAsync(host);
        Assert.Equal(before.Select(d => (d.Id, d.Pinned)), after.Select(d => (d.Id, d.Pinned)));
        Assert.Equal(2, after.Count);
        Assert.Null(new BackupDirectory(Path.Combine(host.Root, "var/recovery")).CurrentRoot());
    }

    [Fact]
    public async Task The_backup_job_as_the_operator_builds_it_backs_the_node_up_and_leaves_its_mounts_as_found()
    {
        await using var host = await PodHost.CreateAsync();
        var flag = Path.Combine(host.Root, "run/ostree-booted");
        var flagInode = Talm.Recovery.Platform.Posix.LStat(flag).Inode;
        var job = PodHost.BackupJob();
        Assert.Equal(["launchBackup"], job["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => (string)a!));
        Assert.True((bool)job["spec"]!["template"]!["spec"]!["containers"]![0]!["tty"]!);

        var result = await host.RunAsync(job);

        Assert.True(result.Succeeded, result.Log);
        var lines = result.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain('\u001b', result.Log);
        Assert.DoesNotContain('\r', result.Log);
        Assert.All(lines, l => Assert.Matches(Stamped(), l));
        Assert.Contains(lines, l => l.Contains(" progress: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"etcd: https://{host.Node.Ip}:2379/ (ETCDCTL_ENDPOINTS in /host/etc/kubernetes/static-pod-resources/etcd-certs/configmaps/etcd-scripts/etcd.env), client certificate {Certs}/secrets/etcd-all-certs/etcd-peer-sno-sandbox.crt", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Remounted /host/sysroot read-write", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Remounted /host/sysroot read-only again", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Remounted /host/boot read-write", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Remounted /host/boot read-only again", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Linked /host/ostree to sysroot/ostree", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(host.Root, "sysroot/boot")));

        var backupDir = Path.Combine(host.Root, "var/recovery");
        var report = await BackupVerifier.VerifyAsync(backupDir);
        Assert.True(report.Intact, string.Join('\n', report.Problems));
        var manifest = ManifestStore.Read(new BackupDirectory(backupDir).CurrentRoot()!);
        Assert.Equal("sno-sandbox", manifest.Host);
        var deployments = await DeploymentsAsync(host);
        var only = Assert.Single(deployments);
        Assert.True(only.Pinned);
        Assert.Equal(only.Checksum, manifest.Ostree!.Checksum);
        Assert.Equal(flagInode, Talm.Recovery.Platform.Posix.LStat(flag).Inode);

        // The etcd snapshot holds the node's keys, read over TLS on the node's IP.
        var seed = SandboxHost.ReadSeed(host.Root);
        var status = await new ProcessRunner().RunAsync("etcdctl", ["snapshot", "status", Path.Combine(new BackupDirectory(backupDir).CurrentRoot()!, manifest.Etcd.SnapshotFile), "-w", "json"]);
        Assert.True(JsonNode.Parse(status.StandardOutput)!["totalKey"]!.GetValue<int>() >= seed.KeyCount, status.StandardOutput);
    }

    private static async Task<IReadOnlyList<OstreeDeployment>> DeploymentsAsync(PodHost host) =>
        await new OstreeCli(new ProcessRunner(), host.Root).StatusAsync();

    private static void Remove(JsonArray array, string name) =>
        array.Remove(array.Single(v => (string?)v!["name"] == name));

    // Every line of the Job's log starts with the UTC time.
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")]
    private static partial Regex Stamped();
}
