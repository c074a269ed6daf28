using System.Security.Cryptography;
using Talm.Recovery.Manifest;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// Nothing the restore does reaches outside --host-root (issue 13, item 1): not through a hostile
/// manifest, not through a symlink on the host. Each test plants a "victim" directory beside the host
/// root, where a naive restore would write or delete, and checks it is untouched.
/// </summary>
public sealed class ConfinementTests : IDisposable
{
    private readonly SandboxNode _node = new();

    private string Victim => Path.Combine(_node.Root, "victim");

    private string MakeVictim()
    {
        Directory.CreateDirectory(Victim);
        File.WriteAllText(Path.Combine(Victim, "precious"), "must survive\n");
        return Victim;
    }

    private void AssertVictimUntouched() =>
        Assert.Equal(["precious"], Directory.GetFileSystemEntries(Victim).Select(Path.GetFileName).Order(StringComparer.Ordinal));

    [Fact]
    public async Task A_resealed_manifest_naming_a_path_through_dotdot_is_refused_before_any_change()
    {
        MakeVictim();
        // The file the attacker wants written sits where verify, reading naively, would find it.
        var planted = Path.Combine(_node.BackupRoot, "../victim/e.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(planted)!);
        await File.WriteAllTextAsync(planted, "planted\n");
        Reseal(entries => [.. entries, FileEntry("etc/../../victim/e.txt", planted)]);

        var failure = await new RestoreHarness(_node).FailsAsync();

        Assert.Contains("'..'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("nothing on the node was changed", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_node.StandIns.Calls());
        AssertVictimUntouched();
    }

    [Fact]
    public async Task A_usr_local_symlink_that_climbs_above_the_host_root_is_resolved_inside_it()
    {
        MakeVictim();
        // As on RHCOS, /usr/local is a symlink; this one climbs further than the root, which on a node is '/' again.
        Directory.Delete(Path.Combine(_node.Host, "usr/local"), recursive: true);
        File.CreateSymbolicLink(Path.Combine(_node.Host, "usr/local"), "../../victim");

        Assert.Equal(RestoreOutcome.RebootRequired, await new RestoreHarness(_node).RunAsync());

        AssertVictimUntouched();
        Assert.Equal("#!/bin/sh\necho tool v1\n", await File.ReadAllTextAsync(Path.Combine(_node.Host, "victim/bin/tool")));
        TreeFacts.AssertSame(TreeFacts.Describe(Path.Combine(_node.BackupRoot, "local")), TreeFacts.Describe(Path.Combine(_node.Host, "victim")));
    }

    [Fact]
    public async Task Extras_are_not_written_through_a_host_symlink_that_leads_outside()
    {
        MakeVictim();
        Directory.Delete(Path.Combine(_node.Host, "var/lib/managed"), recursive: true);
        File.CreateSymbolicLink(Path.Combine(_node.Host, "var/lib/managed"), "../../../victim");

        Assert.Equal(RestoreOutcome.RebootRequired, await new RestoreHarness(_node).RunAsync());

        AssertVictimUntouched();
        Assert.Equal("managed v1\n", await File.ReadAllTextAsync(Path.Combine(_node.Host, "victim/node.conf")));
    }

    [Fact]
    public async Task The_static_pod_manifests_are_never_moved_or_written_through_a_symlink()
    {
        // manifests/ is excluded from the /etc mirror, so a symlink there survives stage 1.
        var manifests = Path.Combine(_node.Host, "etc/kubernetes/manifests");
        Directory.Move(manifests, Victim);
        File.CreateSymbolicLink(manifests, Victim);
        var before = TreeFacts.Describe(Victim);
        var harness = new RestoreHarness(_node);
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());

        var failure = await harness.FailsAsync(resume: true);

        Assert.Contains("Stage restore_cluster failed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("etc/kubernetes/manifests is a symlink", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--resume", failure.Message, StringComparison.Ordinal);
        TreeFacts.AssertSame(before, TreeFacts.Describe(Victim));
    }

    [Fact]
    public async Task Static_pod_resources_are_not_put_back_through_a_symlink()
    {
        var harness = new RestoreHarness(_node);
        Assert.Equal(RestoreOutcome.RebootRequired, await harness.RunAsync());
        Directory.CreateDirectory(Victim);
        var revision = Path.Combine(_node.Host, "etc/kubernetes/static-pod-resources/kube-apiserver-pod-9");
        Directory.Delete(revision, recursive: true);
        File.CreateSymbolicLink(revision, Victim);

        var failure = await harness.FailsAsync(resume: true);

        Assert.Contains("Stage restore_cluster failed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("kube-apiserver-pod-9 is a symlink", failure.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Victim));
    }

    [Fact]
    public void The_mirror_refuses_entries_that_leave_its_target_even_when_the_caller_skipped_the_manifest_check()
    {
        MakeVictim();
        var backup = Path.Combine(_node.Root, "mirror-backup/etc");
        Directory.CreateDirectory(backup);
        var source = Path.Combine(_node.Root, "mirror-backup/victim/evil");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        File.WriteAllText(source, "evil\n");
        var target = Path.Combine(_node.Root, "mirror-target/etc");
        var entries = new List<ManifestEntry>
        {
            new() { Path = "etc", Kind = EntryKind.Directory, Mode = 0x1ED, Uid = 0, Gid = 0, MtimeNs = 0 },
            FileEntry("etc/../../victim/evil", source),
            new() { Path = "etc//" + Victim.TrimStart('/'), Kind = EntryKind.Directory, Mode = 0x1ED, Uid = 0, Gid = 0, MtimeNs = 0 },
        };

        Assert.ThrowsAny<IOException>(() => new TreeMirror(2).Mirror(new MirrorRequest("etc", backup, target, "etc", entries, ExcludeList.Empty, DateTimeOffset.UtcNow), null, CancellationToken.None));

        AssertVictimUntouched();
    }

    private void Reseal(Func<IReadOnlyList<ManifestEntry>, List<ManifestEntry>> change)
    {
        var manifest = ManifestStore.Read(_node.BackupRoot);
        var entries = change(manifest.Entries);
        ManifestStore.Write(_node.BackupRoot, manifest with { Entries = entries, Totals = manifest.Totals with { Files = entries.Count(e => e.Kind == EntryKind.File), Bytes = entries.Sum(e => e.Size) } });
    }

    private static ManifestEntry FileEntry(string manifestPath, string file)
    {
        var info = new FileInfo(file);
        var status = Platform.Posix.LStat(file);
        return new ManifestEntry
        {
            Path = manifestPath,
            Kind = EntryKind.File,
            Mode = status.Permissions,
            Uid = status.Uid,
            Gid = status.Gid,
            MtimeNs = status.MtimeNs,
            Size = info.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))),
        };
    }

    public void Dispose() => _node.Dispose();
}
