using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Talm.Api.Rhacm;
using Talm.Lab.Hub;
using Talm.Recovery.Processes;
using Talm.Sandbox.Pods;

namespace Talm.Lab.Spokes;

/// <summary>
/// A spoke that is a real (small) sandbox host brought up as a node (<see cref="SandboxNode"/>): its own
/// network namespace with the node's IP, its etcd serving TLS there as OpenShift's static pod does, a
/// real ostree sysroot; its backup Job's pod runs through the <see cref="PodSandbox"/> as a kubelet would
/// run it (the real agent, <c>talm launchBackup</c>, in its own network and mount namespaces with the Job's
/// volumes and a read-only /sysroot). Enforcing the upgrade policy upgrades the host for real (new ostree
/// commit deployed, files in /etc and /var/lib/kubelet changed, etcd keys written), or, when asked to fail,
/// breaks it. A failing backup is a broken pod network: the agent cannot reach the node's etcd. The backup's
/// pre-flight Job (<c>launchBackup --dry-run</c>) runs the same way, and the same fault fails its etcd check.
/// </summary>
public sealed class FullSpoke : SimulatedSpoke
{
    public const string UpgradeVersion = "418.94.202503050000-0";
    private readonly FullSpokeSettings _settings;
    private readonly ILogger _log;
    private readonly SandboxNode _node;

    private FullSpoke(string name, SpokeFaults faults, SpokeDirectory dir, SandboxNode node, FullSpokeSettings settings, TimeProvider time, ILogger log)
        : base(name, faults, time)
    {
        Directory = dir;
        _node = node;
        _settings = settings;
        _log = log;
    }

    public SpokeDirectory Directory { get; }

    /// <summary>The spoke's node (its network namespace and etcd).</summary>
    public SandboxNode Node => _node;

    /// <summary>etcdctl against the spoke's etcd: on its node's network, over TLS with the node's client certificate.</summary>
    public Etcdctl Etcd => (args, ct) => _node.EtcdctlAsync(ct, [.. args]);

    public static async Task<FullSpoke> CreateAsync(string name, SpokeFaults faults, string dir, FullSpokeSettings settings,
        TimeProvider time, ILogger log, CancellationToken ct)
    {
        var layout = new SpokeDirectory(dir);
        System.IO.Directory.CreateDirectory(dir);
        if (!File.Exists(Path.Combine(layout.Host, ".sandbox.json")))
        {
            var r = await new ProcessRunner(transcript: layout.Log).TryRunAsync(settings.TalmFile,
                [.. settings.TalmPrefix, "lab", "make-host", layout.Host, "--profile", settings.Profile], ct);
            if (r.ExitCode != 0)
                throw new InvalidOperationException($"Making the sandbox host of {name} failed (exit {r.ExitCode}); see {layout.Log}");
        }
        var node = await SandboxNode.StartAsync(layout.Host, layout.EtcdLog, ct);
        await File.WriteAllTextAsync(layout.EtcdPid, node.EtcdPid?.ToString(CultureInfo.InvariantCulture) ?? "", ct);
        return new FullSpoke(name, faults, layout, node, settings, time, log);
    }

    protected override async Task<int> RunJobPodAsync(JsonObject job, CancellationToken ct)
    {
        var args = Json.Strings(Json.At(job, "spec", "template", "spec", "containers", "0", "args"));
        if (!(Json.Name(job) == SpokeNames.BackupAgent || args.Contains("launchBackup")))
        {
            // Pulling images is simulated: the pre-cache workload is not part of this product.
            await Task.Delay(_settings.Precache, Time, ct);
            return 0;
        }
        // The pod has no route to an API server here: the agent writes its Job patch to the node's /var/tmp
        // (a volume of the Job), and this kubelet stand-in applies it to the Job, as the API server would.
        var patchFile = $"talm-job-patch-{Guid.NewGuid():N}.json";
        var pod = JobPod.FromJob(job);
        pod = pod with { Env = new Dictionary<string, string>(pod.Env) { [Talm.Api.Cgu.BackupDetails.LabPatchFileVariable] = "/host/var/tmp/" + patchFile } };
        var started = Stopwatch.StartNew();
        var result = await PodSandbox.RunAsync(_node, pod, new PodRunOptions
        {
            // The recovery image is this very talm.
            Images = new Dictionary<string, ContainerImage> { [pod.Image] = ContainerImage.ForProgram(_settings.TalmFile, _settings.TalmPrefix) },
            LogFile = Directory.PodLog,
            NodeUnreachable = Faults.FailBackup,
        }, ct);
        await ApplyJobPatchAsync(job, Path.Join(Directory.Host, "var/tmp", patchFile), ct);
        // The pre-flight (kubectl talm preflight) runs the same agent, checking only: it is no backup.
        var preflight = args.Contains("--dry-run");
        if (Faults.SlowBackup && !preflight) await Task.Delay(TimeSpan.FromSeconds(20), Time, ct);
        var exit = result.Succeeded ? 0 : Math.Max(1, result.ExitCode);
        if (!preflight)
        {
            LastBackup = new BackupRecord(started.Elapsed, result.Succeeded ? DirectorySize(Directory.Backup) : 0, exit,
                result.Succeeded ? null : $"{result.Reason}: {LastLine(result.Log)}");
        }

        if (!result.Succeeded)
            _log.LogInformation("{Job} pod {Pod} on {Spoke} ended {Reason} (exit {Code}): {Detail}", preflight ? "Pre-flight" : "Backup", result.PodName, Name, result.Reason, result.ExitCode, LastLine(result.Log));
        if (result.Reason == "DeadlineExceeded")
            throw new JobDeadlineExceededException($"pod {result.PodName} was killed after the Job's activeDeadlineSeconds ({pod.ActiveDeadlineSeconds} s)");
        return exit;
    }

    private async Task ApplyJobPatchAsync(JsonObject job, string file, CancellationToken ct)
    {
        if (!File.Exists(file)) return;
        try
        {
            if (JsonNode.Parse(await File.ReadAllTextAsync(file, ct)) is JsonObject patch && Json.At(patch, "metadata", "annotations") is JsonObject annotations)
                PatchJobAnnotations(job, annotations);
        }
        catch (System.Text.Json.JsonException e)
        {
            _log.LogWarning("The Job patch of the backup pod on {Spoke} is not JSON: {Error}", Name, e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    protected override async Task<bool> RemediateAsync(string policy, CancellationToken ct)
    {
        if (!File.Exists(Directory.PreUpgradeKeys))
            await EtcdKeys.SaveAsync(Directory.PreUpgradeKeys, await EtcdKeys.ReadAsync(Etcd, ct), ct);
        await DeployNewOsAsync(ct);
        var broken = Faults.FailUpgrade;
        await ChangeFilesAsync(broken, ct);
        await EtcdKeys.PutAsync(Etcd, "/kubernetes.io/config.openshift.io/clusterversions/version",
            broken ? "{\"status\":{\"history\":[{\"state\":\"Partial\",\"version\":\"4.18.9\"}]}}" : "{\"status\":{\"history\":[{\"state\":\"Completed\",\"version\":\"4.18.9\"}]}}", ct);
        await EtcdKeys.PutAsync(Etcd, "/kubernetes.io/configmaps/openshift-config/upgrade-4.18.9", broken ? "\u0000corrupt" : "done", ct);
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
            await new ProcessRunner().RunAsync("ostree", ["commit", "--repo=" + Path.Combine(sysroot, "ostree/repo"), "--branch=rhcos/" + UpgradeVersion,
                "--tree=dir=" + tree, "--add-metadata-string=version=" + UpgradeVersion, "--subject=" + UpgradeVersion], ct);
            // Pointed at the host root, as on the node: the bootloader entries are on its /boot.
            await new ProcessRunner().RunAsync("ostree", ["admin", "deploy", "--sysroot=" + Directory.Host, "--os=rhcos", "rhcos/" + UpgradeVersion], ct);
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
        await _node.DisposeAsync();
        File.Delete(Directory.EtcdPid);
    }
}
