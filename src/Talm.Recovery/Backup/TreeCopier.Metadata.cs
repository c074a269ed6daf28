using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>Owner, mode, nanosecond times and extended attributes, applied after the content (a directory's once every entry is in place, so its mtime sticks).</summary>
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

        MetadataApplier.Reconcile(new PathTarget(path), Posix.LStat(path), MetadataOf(status, xattrs), isSymlink: false, OtherXattrs.RemoveExceptSelinuxLabel);
    }

    /// <summary>Owner, mode, xattrs and times of the source, in <see cref="MetadataApplier"/>'s order.</summary>
    internal static void ApplyMetadata(string path, FileStatus status, IReadOnlyDictionary<string, byte[]>? xattrs, bool isSymlink) =>
        MetadataApplier.Apply(new PathTarget(path), MetadataOf(status, xattrs), isSymlink);

    private static FileMetadata MetadataOf(FileStatus status, IReadOnlyDictionary<string, byte[]>? xattrs) =>
        new(status.Uid, status.Gid, status.Permissions, xattrs, status.AtimeNs, status.MtimeNs);
}
