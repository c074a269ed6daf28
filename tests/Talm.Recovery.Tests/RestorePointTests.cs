using System.Text.Json;
using Talm.Recovery.Backup;
using Talm.Recovery.Layout;
using Talm.Recovery.Platform;
using Talm.Recovery.Processes;
using Talm.Recovery.Status;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Tests;

/// <summary><c>backup --keep N</c>: the newest N backups stay restorable, sharing what did not change.</summary>
public sealed class RestorePointTests
{
    private const string Changed = "etc/sysconfig/f00001.conf";
    private const string Unchanged = "etc/os-release";

    [Fact]
    public async Task Keep_3_keeps_the_newest_three_sharing_unchanged_files_and_a_lowered_keep_drops_the_oldest()
    {
        using var host = await TestHost.CreateAsync();
        var ids = new List<string>();
        async Task<BackupOutcome> Backup(int? keep, int version)
        {
            await File.WriteAllTextAsync(Path.Combine(host.Root, Changed), $"version {version}\n");
            var outcome = await host.BackupAsync(host.Options() with { Keep = keep });
            Assert.True(outcome.Status == BackupStatus.Completed, outcome.Message);
            ids.Add(Path.GetFileName(outcome.GenerationRoot!));
            return outcome;
        }

        for (var i = 1; i <= 4; i++)
        {
            await Backup(3, i);
        }

        // Leftovers a crash can leave beside kept restore points: a generation built but never committed (it sorts
        // after current) and one on its way out. The next run removes them and nothing else.
        var generations = new BackupDirectory(host.BackupDir).GenerationsPath;
        var uncommitted = Path.Combine(generations, "29991231-235959-000000");
        Directory.CreateDirectory(uncommitted);
        File.Copy(Path.Combine(generations, ids[^1], BackupLayout.Manifest), Path.Combine(uncommitted, BackupLayout.Manifest));
        Directory.CreateDirectory(Path.Combine(new BackupDirectory(host.BackupDir).RetiredPath("20200101-000000-000000"), "etc"));

        // Once the window is full, a backup takes over the recycled tree: it makes no new directory.
        var recycledDirectories = DirectoryInodes(new BackupDirectory(host.BackupDir).RecyclePath);
        var fifth = await Backup(null, 5);
        Assert.Equal(recycledDirectories, DirectoryInodes(fifth.GenerationRoot!));

        // Exactly the newest three, current the last; the two oldest went, and so did the leftovers.
        Assert.Equal("3", (await File.ReadAllTextAsync(new BackupDirectory(host.BackupDir).KeepPath)).Trim());
        Assert.Equal([Path.GetFileName(new BackupDirectory(host.BackupDir).RecyclePath), .. ids[2..]], GenerationDirectories(host));
        Assert.Equal(ids[^1], new BackupDirectory(host.BackupDir).CurrentId());
        Assert.Equal(ids[2..].AsEnumerable().Reverse(), new BackupDirectory(host.BackupDir).RestorePoints().Select(p => p.Id));

        // Each keeps its own version of the changed file; the unchanged one is one inode in all three.
        for (var i = 2; i < 5; i++)
        {
            var root = Path.Combine(generations, ids[i]);
            Assert.Equal($"version {i + 1}\n", await File.ReadAllTextAsync(Path.Combine(root, Changed)));
            Assert.True((await BackupVerifier.VerifyAsync(root)).Intact, ids[i]);
        }

        var unchanged = ids[2..].Select(id => Posix.LStat(Path.Combine(generations, id, Unchanged))).ToList();
        Assert.Single(unchanged.Select(s => s.Inode).Distinct());
        Assert.True(unchanged[0].LinkCount >= 3, $"link count {unchanged[0].LinkCount}");
        Assert.Equal(3, ids[2..].Select(id => Posix.LStat(Path.Combine(generations, id, Changed)).Inode).Distinct().Count());
        AssertRecycledTreeOnlySharesCurrentInodes(host);

        // status lists the three, newest first, the current one marked; an older one owns only what changed since.
        var status = await StatusCollector.CollectAsync(host.Root, host.BackupDir, verify: false, 2, CancellationToken.None, verifyAll: true);
        Assert.Equal(ids[2..].AsEnumerable().Reverse(), status.Backup.RestorePoints.Select(p => p.Id));
        Assert.Equal([true, false, false], status.Backup.RestorePoints.Select(p => p.Current));
        Assert.All(status.Backup.RestorePoints, p => Assert.True(p.Verified));
        var oldest = status.Backup.RestorePoints[^1];
        Assert.InRange(oldest.OwnBytes!.Value, 1, oldest.Bytes!.Value / 4);
        Assert.Equal(ids[^1], status.Backup.Generation);

        // The same from the CLI, as scripts read it; an unknown ID names the ones there are.
        var (code, json, error) = await TestHost.RunCliAsync("recovery", "status", "--host-root", host.Root, "--dir", host.BackupDir, "--no-verify", "-o", "json");
        Assert.True(code == 0, error);
        using (var doc = JsonDocument.Parse(json))
        {
            var points = doc.RootElement.GetProperty("backup").GetProperty("restorePoints").EnumerateArray().ToList();
            Assert.Equal(ids[2..].AsEnumerable().Reverse(), points.Select(p => p.GetProperty("id").GetString()));
            Assert.True(points[0].GetProperty("current").GetBoolean());
            Assert.True(points[2].GetProperty("ownBytes").GetInt64() > 0);
        }

        var unknown = await TestHost.RunCliAsync("recovery", "verify", "--dir", host.BackupDir, "--generation", ids[0]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains($"no restore point {ids[0]}", unknown.Error, StringComparison.Ordinal);
        Assert.Contains($"{ids[4]} (current), {ids[3]}, {ids[2]}", unknown.Error, StringComparison.Ordinal);

        // --keep 1 again: the older ones go (oldest first) before the new backup is built; only the new one and the recycled tree stay.
        await Backup(1, 6);
        Assert.Equal([Path.GetFileName(new BackupDirectory(host.BackupDir).RecyclePath), ids[^1]], GenerationDirectories(host));
        Assert.True((await BackupVerifier.VerifyAsync(host.BackupDir)).Intact);
        AssertRecycledTreeOnlySharesCurrentInodes(host);
        Assert.Single(new BackupDirectory(host.BackupDir).RestorePoints());
    }

    [Fact]
    public async Task Replace_existing_drops_older_restore_points_before_the_last_good_backup()
    {
        using var host = await TestHost.CreateAsync();
        var mount = Path.Combine(host.Work, "small-partition");
        Directory.CreateDirectory(mount);
        var runner = new ProcessRunner();
        const int big = 16 << 20;
        var bigFile = Path.Combine(host.Root, "var/lib/kubelet/big.bin");
        // Room for the small files and two and a half copies of the big one: two backups whose big file
        // differs fit, a third only once the oldest is dropped.
        var probe = await host.BackupAsync(host.Options(Path.Combine(host.Work, "probe")));
        var size = probe.Manifest!.Totals.Bytes + (big * 5L / 2) + (8 << 20);
        await runner.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", mount]);
        try
        {
            var dir = Path.Combine(mount, "recovery");
            var ids = new List<string>();
            for (var i = 1; i <= 2; i++)
            {
                await File.WriteAllBytesAsync(bigFile, RandomBytes(big, i));
                var outcome = await host.BackupAsync(host.Options(dir) with { Keep = 3 });
                Assert.True(outcome.Status == BackupStatus.Completed, outcome.Message);
                ids.Add(Path.GetFileName(outcome.GenerationRoot!));
            }

            await File.WriteAllBytesAsync(bigFile, RandomBytes(big, 3));
            var refused = await host.BackupAsync(host.Options(dir));
            Assert.Equal(BackupStatus.InsufficientSpace, refused.Status);
            Assert.Contains("the last good backup and 1 older restore point(s) (--keep 3) are kept", refused.Message, StringComparison.Ordinal);
            Assert.Equal(ids.AsEnumerable().Reverse(), new BackupDirectory(dir).RestorePoints().Select(p => p.Id));

            var replaced = await host.BackupAsync(host.Options(dir) with { ReplaceExisting = true });
            Assert.True(replaced.Status == BackupStatus.Completed, replaced.Message);
            // The oldest went; the last good backup stayed and is now the older restore point.
            Assert.Equal([Path.GetFileName(replaced.GenerationRoot!), ids[1]], new BackupDirectory(dir).RestorePoints().Select(p => p.Id));
            Assert.True((await BackupVerifier.VerifyAsync(new BackupDirectory(dir).GenerationPath(ids[1]))).Intact);
            Assert.Equal(await File.ReadAllBytesAsync(bigFile), await File.ReadAllBytesAsync(Path.Combine(dir, "kubelet/big.bin")));
        }
        finally
        {
            await runner.TryRunAsync("umount", ["-l", mount]);
        }
    }

    private static HashSet<ulong> DirectoryInodes(string root) =>
        [.. ((string[])["etc", "local", "kubelet"]).SelectMany(tree => Directory.EnumerateDirectories(Path.Combine(root, tree), "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            .Select(d => Posix.LStat(d).Inode)];

    private static string[] GenerationDirectories(TestHost host) =>
        [.. Directory.GetDirectories(new BackupDirectory(host.BackupDir).GenerationsPath).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal)];

    /// <summary>Every file or symlink left in the recycled tree is another name of an inode the current backup holds: it holds no data of its own.</summary>
    private static void AssertRecycledTreeOnlySharesCurrentInodes(TestHost host)
    {
        var current = new BackupDirectory(host.BackupDir).CurrentRoot()!;
        var inodes = Directory.EnumerateFileSystemEntries(current, "*", SearchOption.AllDirectories)
            .Select(Posix.LStat).Where(s => s.Kind != FileKind.Directory).Select(s => s.Inode).ToHashSet();
        var recycled = Directory.EnumerateFileSystemEntries(new BackupDirectory(host.BackupDir).RecyclePath, "*", SearchOption.AllDirectories)
            .Where(p => Posix.LStat(p).Kind != FileKind.Directory).ToList();
        Assert.NotEmpty(recycled);
        Assert.All(recycled, p => Assert.Contains(Posix.LStat(p).Inode, inodes));
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
