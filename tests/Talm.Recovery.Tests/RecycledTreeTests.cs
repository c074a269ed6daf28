using Talm.Recovery.Backup;
using Talm.Recovery.Layout;
using Talm.Recovery.Platform;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Tests;

public sealed class RecycledTreeTests
{
    [Fact]
    public async Task A_backup_started_from_the_recycled_tree_matches_every_kind_of_change_and_an_unchanged_one_touches_nothing()
    {
        using var host = await TestHost.CreateAsync();
        Assert.Equal(BackupStatus.Completed, (await host.BackupAsync()).Status);
        Assert.Equal(BackupStatus.Completed, (await host.BackupAsync()).Status);
        var recycle = new BackupDirectory(host.BackupDir).RecyclePath;
        Assert.True(File.Exists(Path.Combine(recycle, "etc/os-release")));

        // Every kind of change since the backup the recycled tree came from.
        string Host(string rel) => Path.Combine(host.Root, rel);
        var pods = Directory.GetDirectories(Host("var/lib/kubelet/pods")).Order(StringComparer.Ordinal).ToList();
        await File.WriteAllTextAsync(Host("etc/sysconfig/f00001.conf"), "changed content\n");
        File.Delete(Host("etc/sysconfig/f00008.conf"));
        await File.WriteAllTextAsync(Host("etc/sysconfig/new.conf"), "a new file\n");
        Directory.Delete(pods[1], recursive: true);
        File.Delete(Host("etc/ssh/f00005.conf"));
        Directory.CreateDirectory(Host("etc/ssh/f00005.conf")); // a file replaced by a directory
        Directory.Delete(Host("etc/NetworkManager/system-connections"), recursive: true);
        await File.WriteAllTextAsync(Host("etc/NetworkManager/system-connections"), "a directory replaced by a file\n");
        File.Delete(Host("etc/certs-link"));
        Posix.Symlink("pki", Host("etc/certs-link"));
        Posix.RemoveXattr(Host("etc/ssh"), "user.talm.note");
        Posix.SetXattr(Host("etc/sysconfig"), "user.talm.added", "new"u8);
        Posix.Chmod(Host("etc/pki"), 0x1C0);
        Posix.LChown(Host("etc/selinux"), 1000, 1000);
        // Damage to the recycled tree: a stray file, and a right name with other content.
        await File.WriteAllTextAsync(Path.Combine(recycle, "etc/stray"), "not from the host\n");
        File.Delete(Path.Combine(recycle, "etc/os-release"));
        await File.WriteAllTextAsync(Path.Combine(recycle, "etc/os-release"), "ID=tampered\n");

        var third = await host.BackupAsync();

        Assert.Equal(BackupStatus.Completed, third.Status);
        var report = await BackupVerifier.VerifyAsync(host.BackupDir);
        Assert.True(report.Intact, string.Join('\n', report.Problems));
        foreach (var (source, copy) in ((string, string)[])[("etc", "etc"), ("usr/local", "local"), ("var/lib/kubelet", "kubelet")])
        {
            Assert.Empty(TreeComparison.Differences(Host(source), Path.Combine(host.BackupDir, copy)));
        }

        Assert.Equal(await File.ReadAllTextAsync(Host("etc/os-release")), await File.ReadAllTextAsync(Path.Combine(host.BackupDir, "etc/os-release")));

        // With nothing changed, once both generations have caught up with the host (the recycled tree is the
        // one the third backup wrote), a backup keeps every name where it is: no file, symlink or directory of
        // the trees is written, linked or unlinked (their ctimes stay).
        Assert.Equal(BackupStatus.Completed, (await host.BackupAsync()).Status);
        var current = new BackupDirectory(host.BackupDir).CurrentRoot()!;
        var before = Changes(current, directories: false).Concat(Changes(recycle, directories: true)).ToDictionary();
        Assert.Equal(BackupStatus.Completed, (await host.BackupAsync()).Status);
        var after = Changes(new BackupDirectory(host.BackupDir).CurrentRoot()!, directories: null);
        Assert.Equal(before.Count, after.Count);
        Assert.All(before, p => Assert.Equal((p.Key, p.Value), (p.Key, after[p.Key])));
        Assert.True((await BackupVerifier.VerifyAsync(host.BackupDir)).Intact);
    }

    /// <summary>Inode and ctime of the entries of the copied trees (ctime moves with any write, link or unlink); directories, others or both.</summary>
    private static Dictionary<string, (ulong Inode, long Ctime)> Changes(string root, bool? directories)
    {
        var result = new Dictionary<string, (ulong, long)>(StringComparer.Ordinal);
        foreach (var tree in (string[])["etc", "local", "kubelet"])
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(Path.Combine(root, tree), "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                var status = Posix.LStat(path);
                if (directories is null || directories == (status.Kind == FileKind.Directory))
                {
                    result[Path.GetRelativePath(root, path)] = (status.Kind == FileKind.Directory ? 0 : status.Inode, status.CtimeNs);
                }
            }
        }

        return result;
    }
}
