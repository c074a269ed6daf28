using System.Text.Json;
using Talm.Recovery.Backup;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Tests;

/// <summary>The binary index beside manifest.json: a cache the next backup reads, never trusted over the manifest.</summary>
public sealed class ManifestIndexTests
{
    [Fact]
    public void An_index_mirrors_every_field_of_its_manifest_and_the_inodes_given()
    {
        using var fixture = new ManifestFixture();
        var (manifest, inodes) = Enriched(fixture.Root);
        ManifestStore.Write(fixture.Root, manifest, inodes);

        var read = ManifestStore.ReadForReuse(fixture.Root);

        Assert.NotNull(read);
        Assert.True(read.FromIndex);
        Assert.Equal(Json(ManifestStore.Read(fixture.Root)), Json(read.Manifest));
        Assert.Equal(inodes.OrderBy(p => p.Key, StringComparer.Ordinal), read.Inodes.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void A_damaged_index_is_ignored_for_the_manifest_and_written_afresh_without_inodes()
    {
        using var fixture = new ManifestFixture();
        var (manifest, inodes) = Enriched(fixture.Root);
        ManifestStore.Write(fixture.Root, manifest, inodes);
        var index = BackupDirectory.ManifestIndexOf(fixture.Root);
        var bytes = File.ReadAllBytes(index);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(index, bytes);

        var read = ManifestStore.ReadForReuse(fixture.Root)!;

        Assert.False(read.FromIndex);
        Assert.Equal(Json(ManifestStore.Read(fixture.Root)), Json(read.Manifest));
        Assert.Empty(read.Inodes);
        var again = ManifestStore.ReadForReuse(fixture.Root)!;
        Assert.True(again.FromIndex);
        Assert.Empty(again.Inodes); // rebuilt from the manifest alone: no inode is vouched for
        Assert.Equal(Json(read.Manifest), Json(again.Manifest));
    }

    [Fact]
    public void A_manifest_changed_by_hand_after_its_index_was_written_is_read_as_it_is_now()
    {
        using var fixture = new ManifestFixture();
        ManifestStore.Write(fixture.Root, ManifestStore.Read(fixture.Root), new Dictionary<string, ulong> { ["etc/hostname"] = 42 });
        var entry = fixture.Json["entries"]!.AsArray().Single(e => (string?)e!["path"] == "etc/hostname")!;
        entry["mode"] = 0x1ED; // 0755: same length, same size of file, another value
        fixture.Save();

        var read = ManifestStore.ReadForReuse(fixture.Root)!;

        Assert.False(read.FromIndex);
        Assert.Equal(0x1ED, read.Manifest.Entries.Single(e => e.Path == "etc/hostname").Mode);
        Assert.Empty(read.Inodes);
    }

    [Fact]
    public void The_same_manifest_bytes_in_another_file_keep_the_entries_but_not_the_inodes()
    {
        using var fixture = new ManifestFixture();
        ManifestStore.Write(fixture.Root, ManifestStore.Read(fixture.Root), new Dictionary<string, ulong> { ["etc/hostname"] = 42 });
        var path = Path.Combine(fixture.Root, BackupLayout.Manifest);
        File.Copy(path, path + ".copy");
        File.Move(path + ".copy", path, overwrite: true); // the old file is gone, and its inode number was in use when the copy got its own

        var read = ManifestStore.ReadForReuse(fixture.Root)!;

        Assert.True(read.FromIndex);
        Assert.Empty(read.Inodes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(-33)]
    public async Task An_index_cut_short_by_a_crash_is_ignored_and_its_leftovers_do_not_fail_verify(int keep)
    {
        using var fixture = new ManifestFixture();
        var manifest = ManifestStore.Read(fixture.Root);
        ManifestStore.Write(fixture.Root, manifest, null);
        var index = BackupDirectory.ManifestIndexOf(fixture.Root);
        var whole = File.ReadAllBytes(index);
        var cut = whole[..(keep >= 0 ? keep : whole.Length + keep)];
        File.WriteAllBytes(index, cut);
        File.WriteAllBytes(BackupDirectory.ManifestIndexTempOf(fixture.Root), cut);

        var read = ManifestStore.ReadForReuse(fixture.Root)!;

        Assert.False(read.FromIndex);
        Assert.Equal(Json(manifest), Json(read.Manifest));
        Assert.True(ManifestStore.ReadForReuse(fixture.Root)!.FromIndex);
        var report = await BackupVerifier.VerifyAsync(fixture.Root);
        Assert.True(report.Intact, string.Join('\n', report.Problems));
    }

    [Fact]
    public async Task A_backup_writes_an_index_whose_inodes_are_those_of_its_copies_and_the_next_backup_reads_it()
    {
        using var host = await TestHost.CreateAsync();
        Assert.Equal(BackupStatus.Completed, (await host.BackupAsync()).Status);
        var first = new BackupDirectory(host.BackupDir).CurrentRoot()!;
        var indexed = ManifestStore.ReadForReuse(first)!;
        Assert.True(indexed.FromIndex);
        var placed = indexed.Manifest.Entries.Where(e => e.Kind is EntryKind.Symlink or EntryKind.File && e.Source is not null && e.HardLinkTo is null).ToList();
        Assert.NotEmpty(placed);
        Assert.All(placed, e => Assert.Equal((e.Path, Posix.LStat(Path.Combine(first, e.Path)).Inode), (e.Path, indexed.Inodes[e.Path])));

        // The next backup links its unchanged files from it (the recycled tree is only made by the one after), and records those inodes.
        var second = await host.BackupAsync();
        Assert.Equal(BackupStatus.Completed, second.Status);
        var secondRoot = new BackupDirectory(host.BackupDir).CurrentRoot()!;
        var next = ManifestStore.ReadForReuse(secondRoot)!;
        Assert.True(next.FromIndex);
        Assert.All(next.Inodes, p => Assert.Equal(Posix.LStat(Path.Combine(secondRoot, p.Key)).Inode, p.Value));
        Assert.True(placed.Count(e => next.Inodes.GetValueOrDefault(e.Path) == indexed.Inodes[e.Path]) >= second.Manifest!.Totals.ReusedFiles);
        Assert.True(second.Manifest.Totals.ReusedFiles > 0);
        Assert.True((await BackupVerifier.VerifyAsync(host.BackupDir)).Intact);
    }

    /// <summary>The fixture's manifest with every optional field of an entry set somewhere, and an inode for each file.</summary>
    private static (BackupManifest Manifest, Dictionary<string, ulong> Inodes) Enriched(string root)
    {
        var manifest = ManifestStore.Read(root);
        var inodes = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var entries = manifest.Entries.Select((e, i) =>
        {
            if (e.Kind == EntryKind.File)
            {
                inodes[e.Path] = Posix.LStat(Path.Combine(root, e.Path)).Inode;
                return e with
                {
                    Source = new SourceIdentity(ulong.MaxValue - (ulong)i, 1000 + (ulong)i, -5 - i),
                    Xattrs = new Dictionary<string, string> { ["security.selinux"] = "c3lzdGVtX3U6b2JqZWN0X3I6ZXRjX3Q6czAA", ["user.é"] = "" },
                };
            }

            return e;
        }).ToList();
        entries.Add(entries.First(e => e.Kind == EntryKind.File) with { Path = "etc/zz-peer", HardLinkTo = entries.First(e => e.Kind == EntryKind.File).Path, Source = null });
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return (manifest with { Entries = entries, Ostree = new OstreeBackupInfo { Checksum = "abc", OsName = "rhcos", DeploySerial = 2 }, Images = ["quay.io/x:1"] }, inodes);
    }

    private static string Json(BackupManifest manifest) => JsonSerializer.Serialize(manifest, ManifestStore.Options);
}
