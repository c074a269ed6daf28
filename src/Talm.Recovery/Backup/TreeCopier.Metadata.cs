using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>Owner, mode, nanosecond times and extended attributes, applied after the content (a directory's deepest first, so its mtime sticks).</summary>
public sealed partial class TreeCopier
{
    private static IReadOnlyDictionary<string, byte[]>? ReadXattrs(string path)
    {
        var xattrs = Posix.GetXattrs(path);
        return xattrs.Count == 0 ? null : xattrs;
    }

    /// <summary>
    /// A directory's owner, mode, attributes and times, each set only when it differs (a recycled
    /// directory mostly matches already). Attributes the source does not have are removed from a
    /// recycled directory; the SELinux label is the kernel's to assign when the source has none.
    /// </summary>
    private static void ApplyDirectoryMetadata(string path, FileStatus status, IReadOnlyDictionary<string, byte[]>? xattrs, bool recycled)
    {
        if (!recycled)
        {
            ApplyMetadata(path, status, xattrs, isSymlink: false);
            return;
        }

        var current = Posix.LStat(path);
        var owned = current.Uid != status.Uid || current.Gid != status.Gid;
        if (owned)
        {
            Posix.LChown(path, status.Uid, status.Gid);
        }

        if (owned || current.Permissions != status.Permissions)
        {
            Posix.Chmod(path, status.Permissions);
        }

        var present = Posix.GetXattrs(path);
        foreach (var name in present.Keys)
        {
            if ((xattrs is null || !xattrs.ContainsKey(name)) && name != "security.selinux")
            {
                Posix.RemoveXattr(path, name);
            }
        }

        if (xattrs is not null)
        {
            foreach (var (name, value) in xattrs)
            {
                if (owned || !present.TryGetValue(name, out var had) || !had.AsSpan().SequenceEqual(value))
                {
                    Posix.SetXattr(path, name, value);
                }
            }
        }

        // Reading a directory moves its access time: only a differing mtime makes it worth a write.
        if (current.MtimeNs != status.MtimeNs)
        {
            Posix.SetTimes(path, status.AtimeNs, status.MtimeNs);
        }
    }

    /// <summary>Owner, then mode (chown clears setuid bits), then xattrs (chown drops security.capability), then times.</summary>
    internal static void ApplyMetadata(string path, FileStatus status, IReadOnlyDictionary<string, byte[]>? xattrs, bool isSymlink)
    {
        Posix.LChown(path, status.Uid, status.Gid);
        if (!isSymlink)
        {
            Posix.Chmod(path, status.Permissions);
        }

        if (xattrs is not null)
        {
            foreach (var (name, value) in xattrs)
            {
                Posix.SetXattr(path, name, value);
            }
        }

        Posix.SetTimes(path, status.AtimeNs, status.MtimeNs);
    }
}
