using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Backup;
using Talm.Recovery.Platform;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Tests;

public sealed class CopyMachineryTests
{
    [Fact]
    public async Task Every_worker_of_a_lane_runs_at_once_beside_the_other_lane()
    {
        // 16 small-file workers and 2 large-file workers must all be inside their work together:
        // on the thread pool (one thread per core to start with) this barrier would time out.
        using var barrier = new Barrier(18);
        var seen = 0;
        await Workers.RunAsync<int>(
            [(Enumerable.Range(0, 2).ToList(), 2), (Enumerable.Range(0, 16).ToList(), 16)],
            _ =>
            {
                Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(5)), "not every worker ran at the same time");
                Interlocked.Increment(ref seen);
            },
            CancellationToken.None);
        Assert.Equal(18, seen);
    }

    [Fact]
    public void Unlinks_run_on_as_many_threads_as_asked_at_once()
    {
        // Removal waits on the device (a discard per freed file on some filesystems), not the CPU: all
        // 32 unlink workers must be blocked together, which the thread pool of a 2-core machine would not allow.
        using var barrier = new Barrier(Workers.UnlinkParallelism);
        var seen = 0;
        Workers.Run(
            Enumerable.Range(0, Workers.UnlinkParallelism).ToList(),
            Workers.UnlinkParallelism,
            _ =>
            {
                Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(5)), "not every unlink worker ran at the same time");
                Interlocked.Increment(ref seen);
            });
        Assert.Equal(Workers.UnlinkParallelism, seen);
    }

    [Fact]
    public async Task A_failing_item_stops_the_other_workers_and_its_error_is_what_surfaces()
    {
        var done = 0;
        var error = await Assert.ThrowsAsync<IOException>(() => Workers.RunAsync<int>(
            [(Enumerable.Range(0, 10_000).ToList(), 4)],
            i =>
            {
                if (i == 50)
                {
                    throw new IOException("disk on fire");
                }

                Thread.Sleep(1);
                Interlocked.Increment(ref done);
            },
            CancellationToken.None));
        Assert.Equal("disk on fire", error.Message);
        Assert.True(done < 5_000, $"{done} items ran after the failure");
    }

    [Fact]
    public void Early_writeback_is_accepted_for_a_written_file_and_refused_for_a_pipe()
    {
        var dir = Directory.CreateTempSubdirectory("talm-wb-");
        try
        {
            var path = Path.Combine(dir.FullName, "f");
            using (var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
            {
                RandomAccess.Write(file, new byte[3 << 20], 0);
                Assert.True(Posix.StartWriteback(file));
                Assert.True(Posix.StartWriteback(file, 1 << 20, 1 << 20));
            }

            // sync_file_range refuses a pipe (ESPIPE): proof the call reaches the kernel.
            var fifo = Path.Combine(dir.FullName, "fifo");
            using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)!)
            {
                mkfifo.WaitForExit();
            }

            // Read-write: opening a FIFO so does not wait for a peer.
            using var pipe = File.OpenHandle(fifo, FileMode.Open, FileAccess.ReadWrite);
            Assert.False(Posix.StartWriteback(pipe));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public unsafe void Direct_writes_need_alignment_until_turned_off_and_keep_every_byte()
    {
        var dir = Directory.CreateTempSubdirectory("talm-direct-");
        try
        {
            var path = Path.Combine(dir.FullName, "f");
            var content = new byte[(1 << 20) + 123];
            new Random(9).NextBytes(content);
            var memory = NativeMemory.AlignedAlloc((nuint)content.Length + 4096, 4096);
            try
            {
                var buffer = new Span<byte>(memory, content.Length + 4096);
                content.CopyTo(buffer);
                using (var file = Posix.TryCreateDirect(path))
                {
                    Assert.NotNull(file); // the temp directory is on ext4, which takes O_DIRECT
                    // O_DIRECT is really on: an unaligned length is refused.
                    var refused = false;
                    try
                    {
                        RandomAccess.Write(file, buffer[..100], 0);
                    }
                    catch (IOException)
                    {
                        refused = true;
                    }

                    Assert.True(refused, "an unaligned write went through: the file is not in O_DIRECT mode");
                    RandomAccess.Write(file, buffer[..(1 << 20)], 0);
                    Posix.EndDirectWrites(file);
                    RandomAccess.Write(file, buffer[(1 << 20)..content.Length], 1 << 20);
                }

                Assert.Equal(content, File.ReadAllBytes(path));
                Assert.Equal(0x180, Posix.LStat(path).Permissions);
                Assert.Throws<NativeException>(() => Posix.TryCreateDirect(path)); // O_EXCL: never over an existing file
            }
            finally
            {
                NativeMemory.AlignedFree(memory);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Without_O_DIRECT_on_the_backup_filesystem_large_files_are_written_through_the_cache()
    {
        var work = Directory.CreateTempSubdirectory("talm-noodirect-");
        var mount = Path.Combine(work.FullName, "ramfs");
        var runner = new Processes.ProcessRunner();
        try
        {
            var source = Path.Combine(work.FullName, "src");
            Directory.CreateDirectory(source);
            var content = new byte[(5 << 20) + 17];
            new Random(4).NextBytes(content);
            await File.WriteAllBytesAsync(Path.Combine(source, "blob.bin"), content);

            // ramfs refuses O_DIRECT, and only after it has created the file.
            Directory.CreateDirectory(mount);
            await runner.RunAsync("mount", ["-t", "ramfs", "ramfs", mount]);
            var probe = Path.Combine(mount, "probe");
            Assert.Null(Posix.TryCreateDirect(probe));
            Assert.False(File.Exists(probe));

            var copier = new TreeCopier((ReuseIndex?)null, new ProgressCounters(), NullLogger.Instance, new CopyTuning { DirectWrites = true, LargeFileThreshold = 1 << 20 });
            copier.Scan(source, "tree");
            var entries = await copier.CopyAsync(mount, CancellationToken.None);
            var blob = Assert.Single(entries, e => e.Path == "tree/blob.bin");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), blob.Sha256);
            Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(mount, "tree/blob.bin")));
        }
        finally
        {
            await runner.TryRunAsync("umount", ["-l", mount]);
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Large_and_small_files_copied_in_two_lanes_with_early_writeback_verify()
    {
        using var host = await TestHost.CreateAsync();
        // A few files above the large-file threshold so that both lanes have work.
        var blobs = Path.Combine(host.Root, "var/lib/kubelet/pods/blobs");
        Directory.CreateDirectory(blobs);
        var random = new Random(3);
        for (var i = 0; i < 3; i++)
        {
            var content = new byte[(5 << 20) + (i * 4099)];
            random.NextBytes(content);
            await File.WriteAllBytesAsync(Path.Combine(blobs, $"blob-{i}"), content);
        }

        var outcome = await host.BackupAsync(host.Options() with { Parallelism = 16, LargeFileParallelism = 2, EarlyWriteback = true, DirectWrites = true });
        Assert.Equal(BackupStatus.Completed, outcome.Status);
        var report = await BackupVerifier.VerifyAsync(host.BackupDir);
        Assert.True(report.Intact, string.Join('\n', report.Problems));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(blobs, $"blob-{i}")), await File.ReadAllBytesAsync(Path.Combine(host.BackupDir, $"kubelet/pods/blobs/blob-{i}")));
        }
    }
}
