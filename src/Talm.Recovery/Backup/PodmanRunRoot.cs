using System.Security.Cryptography;
using System.Text;

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

    /// <summary>Removes the run root of a sandbox host's storage, when the host goes.</summary>
    public static void RemoveFor(string hostRoot)
    {
        var runRoot = For(Path.Combine(hostRoot, "var/lib/containers/storage"));
        if (Directory.Exists(runRoot))
        {
            Directory.Delete(runRoot, recursive: true);
        }
    }
}
