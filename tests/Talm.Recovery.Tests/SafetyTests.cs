using System.Diagnostics;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Processes;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Tests;

public sealed class SafetyTests
{
    [Fact]
    public async Task A_corrupted_snapshot_is_refused()
    {
        using var host = await TestHost.CreateAsync();
        var outcome = await host.BackupAsync();
        var snapshot = Path.Combine(host.BackupDir, outcome.Manifest!.Etcd.SnapshotFile);
        Assert.True(SnapshotIntegrity.Check(snapshot).Ok);

        await using (var stream = new FileStream(snapshot, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = stream.Length / 2;
            var b = stream.ReadByte();
            stream.Position = stream.Length / 2;
            stream.WriteByte((byte)(b ^ 0x40));
        }

        var check = SnapshotIntegrity.Check(snapshot);
        Assert.False(check.Ok);
        Assert.Contains("does not match the snapshot trailer", check.Problem, StringComparison.Ordinal);

        // etcd's own restore agrees, and so does talm verify (exit 1, naming the snapshot).
        var restore = await new ProcessRunner().TryRunAsync("etcdctl", ["snapshot", "restore", snapshot, "--data-dir", Path.Combine(host.Work, "r")]);
        Assert.False(restore.Succeeded);
        var (code, output, _) = await TestHost.RunCliAsync("recovery", "verify", "--dir", host.BackupDir);
        Assert.Equal(1, code);
        Assert.Contains(outcome.Manifest.Etcd.SnapshotFile, output, StringComparison.Ordinal);
        Assert.Contains("NOT intact", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_names_each_damaged_entry()
    {
        using var host = await TestHost.CreateAsync();
        await host.BackupAsync();
        var (intactCode, intactOutput, _) = await TestHost.RunCliAsync("recovery", "verify", "--dir", host.BackupDir);
        Assert.Equal(0, intactCode);
        Assert.Contains("is intact", intactOutput, StringComparison.Ordinal);

        var root = new BackupDirectory(host.BackupDir).CurrentRoot()!;
        await File.AppendAllTextAsync(Path.Combine(root, "etc/hostname"), "x");
        Platform.Posix.Chmod(Path.Combine(root, "etc/os-release"), 0x1FF);
        await File.WriteAllTextAsync(Path.Combine(root, "kubelet/stray"), "not in the manifest");
        File.Delete(Path.Combine(root, "local/bin/configure-ovs.sh"));

        var report = await BackupVerifier.VerifyAsync(host.BackupDir);
        Assert.False(report.Intact);
        Assert.Contains(report.Problems, p => p.StartsWith("etc/hostname: size", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.StartsWith("etc/os-release: mode 777", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.StartsWith("kubelet/stray: present in the backup but not in its manifest", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.StartsWith("local/bin/configure-ovs.sh: missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_backup_reuses_unchanged_files_and_copies_changed_ones()
    {
        using var host = await TestHost.CreateAsync();
        var first = await host.BackupAsync();
        var firstGeneration = new BackupDirectory(host.BackupDir).CurrentId();
        await File.WriteAllTextAsync(Path.Combine(host.Root, "etc/sysconfig/f00001.conf"), "changed\n");
        // Damage to the previous backup's copy must not be carried into the new one.
        Platform.Posix.Chmod(Path.Combine(host.BackupDir, "etc/os-release"), 0x1FF);

        var second = await host.BackupAsync();

        Assert.NotEqual(firstGeneration, new BackupDirectory(host.BackupDir).CurrentId());
        Assert.Equal(BackupStatus.Completed, second.Status);
        var copiedFirst = first.Manifest!.Entries.Count(e => e is { Kind: EntryKind.File, Source: not null });
        Assert.Equal(copiedFirst - 2, second.Manifest!.Totals.ReusedFiles);
        Assert.Equal(0x1A4, Platform.Posix.LStat(Path.Combine(host.BackupDir, "etc/os-release")).Permissions);
        Assert.Equal("changed\n", await File.ReadAllTextAsync(Path.Combine(host.BackupDir, "etc/sysconfig/f00001.conf")));
        // The old generation is gone once the new one is committed (reused files survive it); what is left of
        // it for the next backup to start from holds no data of its own.
        Assert.Equal([Path.GetFileName(new BackupDirectory(host.BackupDir).RecyclePath), new BackupDirectory(host.BackupDir).CurrentId()!], GenerationDirectories(host));
        AssertRecycledTreeOnlySharesCurrentInodes(host);
        var report = await BackupVerifier.VerifyAsync(host.BackupDir);
        Assert.True(report.Intact, string.Join('\n', report.Problems));
        Assert.Empty(TreeComparison.Differences(Path.Combine(host.Root, "etc"), Path.Combine(host.BackupDir, "etc")));

        // Reuse links the previous backup's copies, never a host file: no inode of the backup is one of
        // the host's, so a host file rewritten in place (same inode) leaves every backup as it was.
        var hostInodes = Directory.EnumerateFiles(host.Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Platform.Posix.LStat(p)).Select(s => (s.Device, s.Inode)).ToHashSet();
        var generations = new BackupDirectory(host.BackupDir).GenerationsPath;
        Assert.DoesNotContain(
            Directory.EnumerateFiles(generations, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }),
            p => hostInodes.Contains((Platform.Posix.LStat(p).Device, Platform.Posix.LStat(p).Inode)));
        var reused = Path.Combine(host.Root, "etc/sysconfig/f00008.conf");
        var before = await File.ReadAllBytesAsync(Path.Combine(host.BackupDir, "etc/sysconfig/f00008.conf"));
        await using (var inPlace = new FileStream(reused, FileMode.Open, FileAccess.Write))
        {
            inPlace.Write(new byte[before.Length]);
        }

        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(host.BackupDir, "etc/sysconfig/f00008.conf")));
        Assert.True((await BackupVerifier.VerifyAsync(host.BackupDir)).Intact);
    }

    [Fact]
    public async Task A_recovery_in_progress_stops_the_backup_without_touching_anything()
    {
        using var host = await TestHost.CreateAsync();
        Directory.CreateDirectory(host.BackupDir);
        await File.WriteAllTextAsync(new BackupDirectory(host.BackupDir).Progress.Path, "started\n");

        var (code, output, error) = await TestHost.RunCliAsync(["recovery", "backup", .. host.BackupArgs()]);

        Assert.Equal(0, code);
        Assert.Contains(BackupRunner.RecoveryInProgressMessage, output + error, StringComparison.Ordinal);
        Assert.Equal([new BackupDirectory(host.BackupDir).Progress.Path], Directory.GetFileSystemEntries(host.BackupDir));
        Assert.Equal(2, (await new Ostree.OstreeCli(new ProcessRunner(), host.Root).StatusAsync()).Count);
    }

    [Fact]
    public async Task A_backup_whose_etcd_snapshot_fails_keeps_every_deployment_and_pins_nothing()
    {
        using var host = await TestHost.CreateAsync();
        var ostree = new Ostree.OstreeCli(new ProcessRunner(), host.Root);
        var before = await ostree.StatusAsync();

        var (code, _, error) = await TestHost.RunCliAsync("recovery", "backup", "--host-root", host.Root, "--dir", host.BackupDir, "--etcd-endpoint", "http://127.0.0.1:1", "--space-margin", "0");

        Assert.Equal(global::Talm.Cli.Commands.ExitCodes.BackupFailed, code);
        Assert.Contains("127.0.0.1:1", error, StringComparison.Ordinal);
        var after = await ostree.StatusAsync();
        Assert.Equal(before.Select(d => d.Id), after.Select(d => d.Id));
        Assert.DoesNotContain(after, d => d.Pinned);
        Assert.Null(new BackupDirectory(host.BackupDir).CurrentRoot());
    }

    [Fact]
    public async Task Space_shortage_exits_1_and_keeps_the_old_backup()
    {
        using var host = await TestHost.CreateAsync();
        var mount = Path.Combine(host.Work, "small-partition");
        Directory.CreateDirectory(mount);
        var runner = new ProcessRunner();
        const int big = 48 << 20;
        var bigFile = Path.Combine(host.Root, "var/lib/kubelet/big.bin");
        // Sized from a real backup (T) so that a backup with the big file fits once (T + B),
        // but not beside a previous one whose big file changed since (T + 2B).
        var probe = await host.BackupAsync(host.Options(Path.Combine(host.Work, "probe")));
        var size = probe.Manifest!.Totals.Bytes + (big * 3L / 2) + (8 << 20);
        await File.WriteAllBytesAsync(bigFile, RandomBytes(big, 1));
        await runner.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", mount]);
        try
        {
            var dir = Path.Combine(mount, "recovery");
            var first = await TestHost.RunCliAsync(["launchBackup", .. host.BackupArgs(dir)]);
            Assert.True(first.ExitCode == 0, first.Error);
            var before = ManifestStore.Read(dir);

            await File.WriteAllBytesAsync(bigFile, RandomBytes(big, 2));
            var second = await TestHost.RunCliAsync(["launchBackup", .. host.BackupArgs(dir)]);

            Assert.Equal(1, second.ExitCode);
            Assert.Contains(BackupRunner.InsufficientSpaceMessage, second.Error, StringComparison.Ordinal);
            Assert.Contains("the last good backup is kept", second.Error, StringComparison.Ordinal);
            Assert.Equal(before.StartedAt, ManifestStore.Read(dir).StartedAt);
            var report = await BackupVerifier.VerifyAsync(dir);
            Assert.True(report.Intact, string.Join('\n', report.Problems));

            // A margin that swallows the free space: refused too, old backup kept.
            var margin = await TestHost.RunCliAsync(["launchBackup", .. host.BackupArgs(dir)[..^2], "--space-margin", "1TiB"]);
            Assert.Equal(1, margin.ExitCode);
            Assert.True((await BackupVerifier.VerifyAsync(dir)).Intact);

            // --replace-existing drops the old backup first; the new one alone fits.
            var replaced = await TestHost.RunCliAsync(["launchBackup", .. host.BackupArgs(dir), "--replace-existing"]);
            Assert.True(replaced.ExitCode == 0, replaced.Error);
            Assert.NotEqual(before.StartedAt, ManifestStore.Read(dir).StartedAt);
            Assert.True((await BackupVerifier.VerifyAsync(dir)).Intact);
            Assert.Equal(await File.ReadAllBytesAsync(bigFile), await File.ReadAllBytesAsync(Path.Combine(dir, "kubelet/big.bin")));
        }
        finally
        {
            await runner.TryRunAsync("umount", ["-l", mount]);
        }
    }

    [Fact]
    public async Task Killing_the_backup_at_random_moments_always_leaves_a_verifiable_backup()
    {
        using var host = await TestHost.CreateAsync();
        // Bigger files so kills land inside the copy too, not only in start-up.
        for (var i = 0; i < 4; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(host.Root, $"var/lib/kubelet/data-{i}.bin"), RandomBytes(16 << 20, i));
        }

        var first = await TestHost.RunCliAsync(["recovery", "backup", .. host.BackupArgs()]);
        Assert.True(first.ExitCode == 0, first.Error);
        var random = new Random(20261125);
        var committed = new HashSet<string> { new BackupDirectory(host.BackupDir).CurrentId()! };
        for (var run = 0; run < 6; run++)
        {
            // Change some sources so each run has real copying to do.
            await File.WriteAllBytesAsync(Path.Combine(host.Root, $"var/lib/kubelet/data-{run % 4}.bin"), RandomBytes(16 << 20, 100 + run));
            using var process = TestHost.StartCli(["recovery", "backup", .. host.BackupArgs()]);
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            await Task.Delay(random.Next(150, 1400));
            process.Kill(); // SIGKILL
            await process.WaitForExitAsync();

            var report = await BackupVerifier.VerifyAsync(host.BackupDir);
            Assert.True(report.Intact, $"run {run}: " + string.Join('\n', report.Problems));
            committed.Add(new BackupDirectory(host.BackupDir).CurrentId()!);
        }

        var last = await TestHost.RunCliAsync(["recovery", "backup", .. host.BackupArgs()]);
        Assert.True(last.ExitCode == 0, last.Error);
        Assert.True((await BackupVerifier.VerifyAsync(host.BackupDir)).Intact);
        // Leftovers of killed runs are cleared by the next run: only the committed generation remains, and the
        // recycled tree, which holds no data of its own.
        Assert.Equal([Path.GetFileName(new BackupDirectory(host.BackupDir).RecyclePath), new BackupDirectory(host.BackupDir).CurrentId()!], GenerationDirectories(host));
        AssertRecycledTreeOnlySharesCurrentInodes(host);
        Assert.Empty(TreeComparison.Differences(Path.Combine(host.Root, "var/lib/kubelet"), Path.Combine(host.BackupDir, "kubelet")));
    }

    private static string[] GenerationDirectories(TestHost host) =>
        [.. Directory.GetDirectories(new BackupDirectory(host.BackupDir).GenerationsPath).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal)];

    /// <summary>Every file or symlink left in the recycled tree is another name of an inode the current backup holds.</summary>
    private static void AssertRecycledTreeOnlySharesCurrentInodes(TestHost host)
    {
        var current = new BackupDirectory(host.BackupDir).CurrentRoot()!;
        var inodes = Directory.EnumerateFileSystemEntries(current, "*", SearchOption.AllDirectories)
            .Select(Platform.Posix.LStat).Where(s => s.Kind != Platform.FileKind.Directory).Select(s => s.Inode).ToHashSet();
        var recycled = Directory.EnumerateFileSystemEntries(new BackupDirectory(host.BackupDir).RecyclePath, "*", SearchOption.AllDirectories)
            .Where(p => Platform.Posix.LStat(p).Kind != Platform.FileKind.Directory).ToList();
        Assert.NotEmpty(recycled);
        Assert.All(recycled, p => Assert.Contains(Platform.Posix.LStat(p).Inode, inodes));
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
