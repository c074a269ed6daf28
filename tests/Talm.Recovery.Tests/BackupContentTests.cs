using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Processes;
using Talm.Recovery.Verify;
using Talm.Sandbox;

namespace Talm.Recovery.Tests;

public sealed class BackupContentTests
{
    [Fact]
    public async Task Backup_of_a_small_host_is_identical_to_the_source_and_verifies()
    {
        using var host = await TestHost.CreateAsync();
        var outcome = await host.BackupAsync();

        Assert.Equal(BackupStatus.Completed, outcome.Status);
        Assert.Empty(TreeComparison.Differences(Path.Combine(host.Root, "etc"), Path.Combine(host.BackupDir, "etc")));
        Assert.Empty(TreeComparison.Differences(Path.Combine(host.Root, "usr/local"), Path.Combine(host.BackupDir, "local")));
        Assert.Empty(TreeComparison.Differences(Path.Combine(host.Root, "var/lib/kubelet"), Path.Combine(host.BackupDir, "kubelet")));
        // The sandbox has what the copy must keep: a setuid file, a symlink xattr, an SELinux label, hard links.
        Assert.Equal(0x9ED, Platform.Posix.LStat(Path.Combine(host.BackupDir, "local/bin/setuid-helper")).Permissions);
        Assert.NotNull(Platform.Posix.GetXattr(Path.Combine(host.BackupDir, "etc/localtime"), "trusted.talm.link"));
        Assert.Equal(
            Platform.Posix.LStat(Path.Combine(host.BackupDir, "etc/pki/shared-a.pem")).Inode,
            Platform.Posix.LStat(Path.Combine(host.BackupDir, "etc/ssh/shared-b.pem")).Inode);

        var report = await BackupVerifier.VerifyAsync(host.BackupDir);
        Assert.True(report.Intact, string.Join('\n', report.Problems));
        var manifest = ManifestStore.Read(host.BackupDir);
        Assert.Equal(manifest.Entries.Count(e => e.Kind == EntryKind.File), manifest.Totals.Files);
        Assert.All(manifest.Entries.Where(e => e.Kind == EntryKind.File), e => Assert.Matches("^[0-9a-f]{64}$", e.Sha256!));
    }

    [Fact]
    public async Task Snapshot_restores_with_etcdctl_and_holds_the_seeded_keys()
    {
        using var host = await TestHost.CreateAsync();
        var outcome = await host.BackupAsync();
        var snapshot = Path.Combine(host.BackupDir, outcome.Manifest!.Etcd.SnapshotFile);
        Assert.Equal(0x180, Platform.Posix.LStat(snapshot).Permissions);

        var restored = Path.Combine(host.Work, "restored-etcd");
        var restore = await new ProcessRunner().TryRunAsync("etcdctl", ["snapshot", "restore", snapshot, "--data-dir", restored], default);
        Assert.True(restore.Succeeded, restore.StandardError);

        using var etcd = await SandboxEtcd.StartAsync(restored);
        using var client = new EtcdClient(etcd.Connection);
        Assert.Equal(host.Seed.KeyCount, await client.CountPrefixAsync(host.Seed.KeyPrefix));
        var value = await client.GetAsync(host.Seed.SampleKey);
        Assert.NotNull(value);
        Assert.Equal(host.Seed.SampleValueSha256, Convert.ToHexStringLower(SHA256.HashData(value)));
    }

    [Fact]
    public async Task The_default_deployment_is_pinned_and_left_alone()
    {
        using var host = await TestHost.CreateAsync();
        var ostree = new OstreeCli(new ProcessRunner(), host.Root);
        var before = await ostree.StatusAsync();
        Assert.Equal(2, before.Count);
        Assert.DoesNotContain(before, d => d.Pinned);

        var outcome = await host.BackupAsync();

        var after = await ostree.StatusAsync();
        var only = Assert.Single(after);
        Assert.Equal(before[0].Id, only.Id);
        Assert.True(only.Pinned);
        Assert.Equal(before[0].Checksum, outcome.Manifest!.Ostree!.Checksum);
        Assert.Equal("417.94.202411201442-0", outcome.Manifest.Ostree.Version);

        // Pinned and alone: libostree says so in-process, and the ostree CLI is not run at all.
        var unchanged = await host.BackupAsync(host.Options() with { Ostree = "/bin/false" });
        Assert.Equal(BackupStatus.Completed, unchanged.Status);
        Assert.Equal(outcome.Manifest.Ostree, unchanged.Manifest!.Ostree);

        // Alone but not pinned: the CLI pins it, going by the first listing (nothing was undeployed).
        await ostree.UnpinAsync(only.Index);
        var again = await host.BackupAsync();
        Assert.True(Assert.Single(await ostree.StatusAsync()).Pinned);
        Assert.Equal(outcome.Manifest.Ostree, again.Manifest!.Ostree);
    }

    [Fact]
    public async Task Extras_hold_exactly_the_managed_files_outside_the_three_trees()
    {
        using var host = await TestHost.CreateAsync();
        await host.BackupAsync();

        var list = await new ProcessRunner().RunAsync("tar", ["-tzf", Path.Combine(host.BackupDir, BackupLayout.ExtrasArchive)]);
        var names = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(SandboxHost.ExtraPaths.Select(p => p.TrimStart('/')).Order(StringComparer.Ordinal), names);

        var unpacked = Path.Combine(host.Work, "extras");
        Directory.CreateDirectory(unpacked);
        await new ProcessRunner().RunAsync("tar", ["-xzpf", Path.Combine(host.BackupDir, BackupLayout.ExtrasArchive), "-C", unpacked]);
        foreach (var path in SandboxHost.ExtraPaths)
        {
            Assert.Equal(File.ReadAllBytes(Path.Join(host.Root, path)), File.ReadAllBytes(Path.Join(unpacked, path)));
        }
    }

    [Fact]
    public async Task Exclusion_list_and_static_pod_archive_follow_the_contract()
    {
        using var host = await TestHost.CreateAsync();
        var outcome = await host.BackupAsync();

        var exclusions = await File.ReadAllLinesAsync(Path.Combine(host.BackupDir, BackupLayout.EtcExcludeList));
        Assert.Equal(["crio/crio.conf.d", "kubernetes/cni/net.d", "resolv.conf", "sno-marker", ".updated", "kubernetes/manifests"], exclusions);

        var archive = Path.Combine(host.BackupDir, outcome.Manifest!.Etcd.StaticPodResourcesArchive);
        Assert.Equal(0x180, Platform.Posix.LStat(archive).Permissions);
        var list = await new ProcessRunner().RunAsync("tar", ["-tzf", archive]);
        var tops = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(n => string.Join('/', n.Split('/').Take(2)))
            .Distinct()
            .Order(StringComparer.Ordinal);
        // Only the current revision (2 in the small profile) of each static pod; no bin/, no older revisions.
        Assert.Equal(
            ["static-pod-resources/etcd-pod-2", "static-pod-resources/kube-apiserver-pod-2", "static-pod-resources/kube-controller-manager-pod-2", "static-pod-resources/kube-scheduler-pod-2"],
            tops);
    }

    [Fact]
    public async Task Images_in_use_are_saved_in_an_OCI_layout()
    {
        // A host root deep enough that <root>/run/containers/storage is longer than podman accepts for a run root.
        using var host = await TestHost.CreateAsync(hostName: "a-host-root-deep-enough-for-podman-to-refuse-its-run-root");
        var outcome = await host.BackupAsync(host.Options() with { Images = true });

        Assert.Equal([host.Seed.Image!], outcome.Manifest!.Images!);
        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(host.BackupDir, "images/index.json")));
        var refName = index.RootElement.GetProperty("manifests")[0].GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString();
        Assert.Equal(host.Seed.Image, refName);
        var inspect = await new ProcessRunner().TryRunAsync("skopeo", ["inspect", "oci:" + Path.Combine(host.BackupDir, "images") + ":" + host.Seed.Image]);
        Assert.True(inspect.Succeeded, inspect.StandardError);
        var report = await BackupVerifier.VerifyAsync(host.BackupDir);
        Assert.True(report.Intact, string.Join('\n', report.Problems));
    }

    [Fact]
    public async Task Space_estimate_counts_each_byte_once()
    {
        using var host = await TestHost.CreateAsync();
        var outcome = await host.BackupAsync();
        var estimate = outcome.Estimate!;

        static long Unique(string path) => SpaceEstimate.SizeOf(path);
        var trees = Unique(Path.Combine(host.Root, "etc")) + Unique(Path.Combine(host.Root, "usr/local")) + Unique(Path.Combine(host.Root, "var/lib/kubelet")) + Unique(AppContext.BaseDirectory);
        Assert.Equal(trees, estimate.TreeBytes);
        var revisions = StaticPodRevisions.Components.Sum(c => Unique(Path.Combine(host.Root, $"etc/kubernetes/static-pod-resources/{c}-pod-2")));
        Assert.Equal(revisions, estimate.StaticPodBytes);
        Assert.True(estimate.StaticPodBytes < Unique(Path.Combine(host.Root, "etc/kubernetes/static-pod-resources")));
        Assert.Equal(new FileInfo(Path.Combine(host.Root, "var/lib/etcd/member/snap/db")).Length, estimate.EtcdBytes);
    }

    [Fact]
    public async Task Recovery_script_forwards_its_arguments_to_the_saved_talm()
    {
        using var host = await TestHost.CreateAsync();
        await host.BackupAsync();
        Assert.Equal(0x1C0, Platform.Posix.LStat(Path.Combine(new BackupDirectory(host.BackupDir).CurrentLink, BackupLayout.RecoveryScript)).Permissions);

        // A recording `dotnet` first on PATH shows what the script runs.
        var stand = Path.Combine(host.Work, "standins");
        Directory.CreateDirectory(stand);
        var record = Path.Combine(host.Work, "dotnet.args");
        await File.WriteAllTextAsync(Path.Combine(stand, "dotnet"), $"#!/bin/sh\nprintf '%s\\n' \"$@\" > {record}\n");
        Platform.Posix.Chmod(Path.Combine(stand, "dotnet"), 0x1ED);
        var script = Path.Combine(host.BackupDir, BackupLayout.RecoveryScript);

        async Task<string[]> Run(params string[] args)
        {
            var info = new ProcessStartInfo(script) { UseShellExecute = false };
            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }

            info.Environment["PATH"] = stand + ":/usr/bin:/bin";
            using var p = Process.Start(info)!;
            await p.WaitForExitAsync();
            Assert.Equal(0, p.ExitCode);
            return await File.ReadAllLinesAsync(record);
        }

        Assert.Equal([Path.Combine(host.BackupDir, "bin/talm.dll"), "recovery", "restore", "--dir", host.BackupDir, "--resume", "--force"], await Run("--resume", "--force"));
        Assert.Equal([Path.Combine(host.BackupDir, "bin/talm.dll"), "recovery", "restore", "--dir", "/elsewhere", "--step"], await Run("--dir", "/elsewhere", "--step"));
        Assert.True(File.Exists(Path.Combine(host.BackupDir, "bin/talm.dll")));
    }
}
