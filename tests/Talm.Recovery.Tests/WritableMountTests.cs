using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Tests;

/// <summary>The remount around the ostree pin and undeploy, on real mounts (the tests run as root).</summary>
public sealed class WritableMountTests
{
    private readonly ProcessRunner _runner = new();

    [Fact]
    public async Task A_read_only_bind_mount_is_writable_while_held_and_read_only_again_with_its_other_flags_after()
    {
        var work = Directory.CreateTempSubdirectory("talm-remount-").FullName;
        var source = Directory.CreateDirectory(Path.Combine(work, "source")).FullName;
        var sysroot = Directory.CreateDirectory(Path.Combine(work, "sysroot")).FullName;
        await _runner.RunAsync("mount", ["--bind", source, sysroot]);
        try
        {
            await _runner.RunAsync("mount", ["-o", "remount,bind,ro,nosuid,nodev,noatime", sysroot]);
            Assert.True(Mounts.IsReadOnly(sysroot));
            Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(sysroot, "before"), "x"));

            using (WritableMount.Acquire(sysroot, "host-sysroot", NullLogger.Instance))
            {
                File.WriteAllText(Path.Combine(sysroot, "during"), "x");
            }

            Assert.True(Mounts.IsReadOnly(sysroot));
            Assert.Equal("ro,nosuid,nodev,noatime", await OptionsAsync(sysroot));
            Assert.True(File.Exists(Path.Combine(source, "during")));
            Assert.False(Mounts.IsReadOnly(source));
        }
        finally
        {
            await _runner.TryRunAsync("umount", ["-l", sysroot]);
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_read_only_filesystem_is_remounted_as_the_reference_does_and_put_back()
    {
        var sysroot = Directory.CreateTempSubdirectory("talm-remount-fs-").FullName;
        await _runner.RunAsync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", sysroot]);
        try
        {
            using (WritableMount.Acquire(sysroot, "host-sysroot", NullLogger.Instance))
            {
                File.WriteAllText(Path.Combine(sysroot, "during"), "x");
            }

            Assert.True(Mounts.IsReadOnly(sysroot));
            Assert.StartsWith("ro", await OptionsAsync(sysroot), StringComparison.Ordinal);
        }
        finally
        {
            await _runner.TryRunAsync("umount", ["-l", sysroot]);
            Directory.Delete(sysroot);
        }
    }

    [Fact]
    public void A_writable_sysroot_is_left_alone()
    {
        var sysroot = Directory.CreateTempSubdirectory("talm-remount-rw-").FullName;
        try
        {
            // Not a mount point: any remount would fail, so nothing may be attempted.
            using (WritableMount.Acquire(sysroot, "host-sysroot", NullLogger.Instance))
            {
                File.WriteAllText(Path.Combine(sysroot, "during"), "x");
            }

            Assert.False(Mounts.IsReadOnly(sysroot));
        }
        finally
        {
            Directory.Delete(sysroot, recursive: true);
        }
    }

    // The per-mount options findmnt shows (VFS options, not the filesystem's).
    private async Task<string> OptionsAsync(string path) =>
        (await _runner.RunAsync("findmnt", ["-n", "-o", "VFS-OPTIONS", "--target", path])).StandardOutput.Trim();
}
