using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Talm.Recovery.Host;

namespace Talm.Recovery.Backup;

/// <summary>
/// Where podman keeps the run root (locks, sockets) of a sandbox host's container storage: podman refuses
/// a run root longer than 50 characters, so not under the host root, which may be anywhere, but under
/// /run, named for the storage it serves. podman's database records it, and later podman calls on that
/// storage (the backup's image saver) take it from there.
/// </summary>
public static class PodmanRunRoot
{
    public static string For(string storage) =>
        Path.Combine(
            Directory.Exists("/run") ? "/run/talm-podman" : Path.Combine(Path.GetTempPath(), "talm-podman"),
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(storage))))[..12]);

    /// <summary>
    /// Before a sandbox host goes: removes its containers through podman, which gives their locks back (podman's
    /// locks live in one shared pool, /dev/shm/libpod_lock, 2048 of them; deleting the storage alone leaks one per
    /// host until no podman on the machine can create a container), then its run root.
    /// </summary>
    public static void RemoveFor(string hostRoot)
    {
        var storage = new HostPaths(hostRoot).ContainerStorage;
        var runRoot = For(storage);
        if (Directory.Exists(Path.Combine(storage, "libpod")))
        {
            try
            {
                using var podman = Process.Start(new ProcessStartInfo("podman", ["--root", storage, "--runroot", runRoot, "--storage-driver", "vfs", "rm", "--all", "--force"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                podman?.StandardOutput.ReadToEnd();
                podman?.StandardError.ReadToEnd();
                podman?.WaitForExit();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // no podman, so no lock was taken either
            }
        }

        if (Directory.Exists(runRoot))
        {
            Directory.Delete(runRoot, recursive: true);
        }
    }
}
