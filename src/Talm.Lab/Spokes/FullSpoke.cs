using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Talm.Lab.Hub;

namespace Talm.Lab.Spokes;

/// <summary>
/// A spoke that is a real (small) sandbox host: its own etcd on a loopback port, a real ostree
/// sysroot, and the real backup agent run as a child process when its backup Job is created.
/// Enforcing the upgrade policy upgrades the host for real (new ostree commit deployed, files in
/// /etc and /var/lib/kubelet changed, etcd keys written), or, when asked to fail, breaks it.
/// </summary>
public sealed class FullSpoke : SimulatedSpoke
{
    public const string UpgradeVersion = "418.94.202503050000-0";
    private readonly FullSpokeSettings _settings;
    private readonly ILogger _log;
    private readonly SpokeEtcd _etcd;

    private FullSpoke(string name, SpokeFaults faults, SpokeDirectory dir, SpokeEtcd etcd, FullSpokeSettings settings, TimeProvider time, ILogger log)
        : base(name, faults, time)
    {
        Directory = dir;
        _etcd = etcd;
        _settings = settings;
        _log = log;
    }

    public SpokeDirectory Directory { get; }

    public Uri EtcdUrl => _etcd.Url;

    public static async Task<FullSpoke> CreateAsync(string name, SpokeFaults faults, string dir, FullSpokeSettings settings,
        TimeProvider time, ILogger log, CancellationToken ct)
    {
        var layout = new SpokeDirectory(dir);
        System.IO.Directory.CreateDirectory(dir);
        if (!File.Exists(Path.Combine(layout.Host, ".sandbox.json")))
        {
            var r = await ChildProcess.RunAsync(settings.TalmFile,
                [.. settings.TalmPrefix, "lab", "make-host", layout.Host, "--profile", settings.Profile], ct, logFile: layout.Log);
            if (r.ExitCode != 0)
                throw new InvalidOperationException($"Making the sandbox host of {name} failed (exit {r.ExitCode}); see {layout.Log}");
        }
        var etcd = await SpokeEtcd.StartAsync(layout.EtcdData, layout.EtcdLog, ct, layout.EtcdPid);
        return new FullSpoke(name, faults, layout, etcd, settings, time, log);
    }

    protected override async Task<int> RunJobPodAsync(JsonObject job, CancellationToken ct)
    {
        var args = Json.Strings(Json.At(job, "spec", "template", "spec", "containers", "0", "args"));
        if (!(Json.Name(job) == "backup-agent" || args.Contains("launchBackup")))
        {
            // Pulling images is simulated: the pre-cache workload is not part of this product.
            await Task.Delay(_settings.Precache, Time, ct);
            return 0;
        }
        // A failing backup is a real failure of the real agent: the spoke's etcd cannot be reached.
        var etcd = Faults.FailBackup ? SpokeEtcd.DeadUrl() : _etcd.Url;
        var started = Stopwatch.StartNew();
        var r = await ChildProcess.RunAsync(_settings.TalmFile,
            [.. _settings.TalmPrefix, "launchBackup", "--host-root", Directory.Host, "--dir", Directory.Backup,
             "--etcd-endpoint", etcd.ToString().TrimEnd('/')],
            ct, logFile: Directory.Log);
        if (Faults.SlowBackup) await Task.Delay(TimeSpan.FromSeconds(20), Time, ct);
        LastBackup = new BackupRecord(started.Elapsed, r.ExitCode == 0 ? DirectorySize(Directory.Backup) : 0, r.ExitCode,
            r.ExitCode == 0 ? null : LastLine(r.Error) ?? LastLine(r.Output));
        if (r.ExitCode != 0)
            _log.LogInformation("Backup agent on {Spoke} exited {Code}: {Detail}", Name, r.ExitCode, LastBackup.Detail);
        return r.ExitCode;
    }

    protected override async Task<bool> RemediateAsync(string policy, CancellationToken ct)
    {
        if (!File.Exists(Directory.PreUpgradeKeys))
            await EtcdKeys.SaveAsync(Directory.PreUpgradeKeys, await EtcdKeys.ReadAsync(_etcd.Url, ct), ct);
        await DeployNewOsAsync(ct);
        var broken = Faults.FailUpgrade;
        await ChangeFilesAsync(broken, ct);
        await EtcdKeys.PutAsync(_etcd.Url, "/kubernetes.io/config.openshift.io/clusterversions/version",
            broken ? "{\"status\":{\"history\":[{\"state\":\"Partial\",\"version\":\"4.18.9\"}]}}" : "{\"status\":{\"history\":[{\"state\":\"Completed\",\"version\":\"4.18.9\"}]}}", ct);
        await EtcdKeys.PutAsync(_etcd.Url, "/kubernetes.io/configmaps/openshift-config/upgrade-4.18.9", broken ? "\u0000corrupt" : "done", ct);
        await File.WriteAllTextAsync(Directory.UpgradeMarker, broken ? "broken\n" : "upgraded\n", ct);
        return !broken;
    }

    private async Task DeployNewOsAsync(CancellationToken ct)
    {
        var sysroot = Path.Combine(Directory.Host, "sysroot");
        var tree = System.IO.Directory.CreateTempSubdirectory("talm-lab-os-").FullName;
        try
        {
            var modules = Path.Combine(tree, "usr/lib/modules/5.14.0-570.el9.x86_64");
            System.IO.Directory.CreateDirectory(modules);
            System.IO.Directory.CreateDirectory(Path.Combine(tree, "usr/etc"));
            System.IO.Directory.CreateDirectory(Path.Combine(tree, "usr/bin"));
            await File.WriteAllTextAsync(Path.Combine(tree, "usr/etc/os-release"), "ID=rhcos\nVERSION_ID=4.18\n", ct);
            await File.WriteAllTextAsync(Path.Combine(tree, "usr/bin/release"), UpgradeVersion + "\n", ct);
            await File.WriteAllTextAsync(Path.Combine(modules, "vmlinuz"), "kernel " + UpgradeVersion, ct);
            await File.WriteAllTextAsync(Path.Combine(modules, "initramfs.img"), "initramfs " + UpgradeVersion, ct);
            await ChildProcess.RunCheckedAsync("ostree", ["commit", "--repo=" + Path.Combine(sysroot, "ostree/repo"), "--branch=rhcos/" + UpgradeVersion,
                "--tree=dir=" + tree, "--add-metadata-string=version=" + UpgradeVersion, "--subject=" + UpgradeVersion], ct);
            await ChildProcess.RunCheckedAsync("ostree", ["admin", "deploy", "--sysroot=" + sysroot, "--os=rhcos", "rhcos/" + UpgradeVersion], ct);
        }
        finally
        {
            System.IO.Directory.Delete(tree, recursive: true);
        }
    }

    private async Task ChangeFilesAsync(bool broken, CancellationToken ct)
    {
        string H(string p) => Path.Join(Directory.Host, p);
        await File.WriteAllTextAsync(H("/etc/os-release"), "NAME=\"Red Hat Enterprise Linux CoreOS\"\nVERSION=\"418.94\"\nID=\"rhcos\"\n", ct);
        await File.AppendAllTextAsync(H("/etc/kubernetes/manifests/kube-apiserver-pod.yaml"), "# upgraded to 4.18.9\n", ct);
        await File.WriteAllTextAsync(H("/etc/kubernetes/upgrade-4.18.9.done"), "4.18.9\n", ct);
        System.IO.Directory.CreateDirectory(H("/var/lib/kubelet"));
        await File.WriteAllTextAsync(H("/var/lib/kubelet/upgrade-4.18.9"), "kubelet 1.31.6\n", ct);
        await File.WriteAllTextAsync(H("/var/lib/kubelet/config.json"), "{\"auths\":{\"registry.lab\":{}}}\n", ct);
        if (broken)
        {
            // What a failed upgrade leaves behind: a static pod that cannot start and a kubelet without config.
            await File.WriteAllTextAsync(H("/etc/kubernetes/manifests/etcd-pod.yaml"), "corrupted by a failed upgrade\n", ct);
            File.Delete(H("/etc/hostname"));
        }
    }

    private static long DirectorySize(string dir) =>
        System.IO.Directory.Exists(dir)
            ? new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : 0;

    private static string? LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _etcd.DisposeAsync();
    }
}
