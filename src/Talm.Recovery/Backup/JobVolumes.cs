using Talm.Recovery.Host;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// In the backup Job's pod the node is visible only through the hostPath volumes mounted under
/// <c>/host</c>, which is itself an empty directory of the pod. A node path no volume covers reads as
/// absent there, and would silently be left out of the backup (or the backup written into the pod, to
/// vanish with it); this names such paths before anything is done.
/// </summary>
public static class JobVolumes
{
    /// <summary>
    /// Checks that every path in <paramref name="needed"/> lies on a mount below the host root, when the host
    /// root is assembled from such mounts (the Job's layout); a host root that is the node's own <c>/</c>, or a plain
    /// directory, is not checked.
    /// </summary>
    public static void Check(HostPaths host, string backupDir, IEnumerable<(string HostPath, string What)> needed, MountTable mounts)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(needed);
        ArgumentNullException.ThrowIfNull(mounts);
        var root = Path.GetFullPath(host.Root);
        if (root == "/" || !mounts.IsMountPoint(root) || !mounts.HasMountsBelow(root))
        {
            return;
        }

        var problems = new List<string>();
        var dir = Path.GetFullPath(backupDir);
        if (!mounts.IsUnderMountBelow(root, dir))
        {
            problems.Add(dir.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal)
                ? $"the backup directory {dir}: no volume is mounted there (the Job mounts hostPath /var/recovery at {host.Combine("/var/recovery")})"
                : $"the backup directory {dir} is in this pod's own filesystem and would vanish with the pod; use --dir {host.Combine("/var/recovery")} (the Job's host-var-recovery volume)");
        }

        foreach (var (hostPath, what) in needed)
        {
            if (!mounts.IsUnderMountBelow(root, host.Combine(hostPath)))
            {
                problems.Add($"{hostPath} ({what}): no volume covers {host.Combine(hostPath)}; the backup Job must mount a hostPath volume holding it under {root}");
            }
        }

        if (problems.Count > 0)
        {
            throw new BackupException($"this pod does not see all of the node the backup needs (missing mounts):\n  {string.Join("\n  ", problems)}");
        }
    }
}
