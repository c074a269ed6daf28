namespace Talm.Recovery.Platform;

/// <summary>What a file carries besides its content: owner, permission bits, extended attributes and times.</summary>
/// <param name="Xattrs">null or empty: none to set.</param>
public readonly record struct FileMetadata(int Uid, int Gid, int Mode, IReadOnlyDictionary<string, byte[]>? Xattrs, long AtimeNs, long MtimeNs);

/// <summary>What to do with extended attributes a file has and the metadata does not name.</summary>
public enum OtherXattrs
{
    /// <summary>Leave them (a file just created has none but what the kernel gave it).</summary>
    Keep,

    /// <summary>Remove them: the file ends with exactly the attributes named.</summary>
    Remove,

    /// <summary>Remove them, except the SELinux label, which is the kernel's to assign when none is named.</summary>
    RemoveExceptSelinuxLabel,
}

/// <summary>Where metadata is set: a path, or a name in a <see cref="ConfinedDirectory"/>.</summary>
public interface IMetadataTarget
{
    void SetOwner(int uid, int gid);

    void SetMode(int mode);

    IReadOnlyDictionary<string, byte[]> GetXattrs();

    void SetXattr(string attribute, byte[] value);

    void RemoveXattr(string attribute);

    void SetTimes(long atimeNs, long mtimeNs);
}

/// <summary>A path, never followed if it is a symlink (lchown, l*xattr, utimensat with AT_SYMLINK_NOFOLLOW).</summary>
public readonly struct PathTarget(string path) : IMetadataTarget
{
    public void SetOwner(int uid, int gid) => Posix.LChown(path, uid, gid);

    public void SetMode(int mode) => Posix.Chmod(path, mode);

    public IReadOnlyDictionary<string, byte[]> GetXattrs() => Posix.GetXattrs(path);

    public void SetXattr(string attribute, byte[] value) => Posix.SetXattr(path, attribute, value);

    public void RemoveXattr(string attribute) => Posix.RemoveXattr(path, attribute);

    public void SetTimes(long atimeNs, long mtimeNs) => Posix.SetTimes(path, atimeNs, mtimeNs);
}

/// <summary>A name in a directory opened beneath a root: a renamed parent cannot redirect the writes.</summary>
public readonly struct ConfinedTarget(ConfinedDirectory dir, string name) : IMetadataTarget
{
    public void SetOwner(int uid, int gid) => dir.SetOwner(name, uid, gid);

    public void SetMode(int mode) => dir.SetMode(name, mode);

    public IReadOnlyDictionary<string, byte[]> GetXattrs() => dir.GetXattrs(name);

    public void SetXattr(string attribute, byte[] value) => dir.SetXattr(name, attribute, value);

    public void RemoveXattr(string attribute) => dir.RemoveXattr(name, attribute);

    public void SetTimes(long atimeNs, long mtimeNs) => dir.SetTimes(name, atimeNs, mtimeNs);
}

/// <summary>
/// The one place that knows the order metadata is applied in, for the backup's copy, the restore's mirror and the
/// unpacked extras: owner first, then the mode (chown clears the setuid and setgid bits), then the extended
/// attributes (chown drops <c>security.capability</c>), then the times, last (each of the others moves ctime, and
/// setting an xattr on a directory may move nothing else, but a write after the times would undo them).
/// A symlink gets no mode (it has none to change).
/// </summary>
public static class MetadataApplier
{
    /// <summary>Sets everything, unconditionally: for a file just written.</summary>
    public static void Apply<T>(T target, in FileMetadata metadata, bool isSymlink, OtherXattrs others = OtherXattrs.Keep)
        where T : IMetadataTarget
    {
        target.SetOwner(metadata.Uid, metadata.Gid);
        if (!isSymlink)
        {
            target.SetMode(metadata.Mode);
        }

        if (others == OtherXattrs.Keep)
        {
            if (metadata.Xattrs is { } xattrs)
            {
                foreach (var (attribute, value) in xattrs)
                {
                    target.SetXattr(attribute, value);
                }
            }
        }
        else
        {
            SyncXattrs(target, metadata.Xattrs, others, owned: true, apply: true);
        }

        target.SetTimes(metadata.AtimeNs, metadata.MtimeNs);
    }

    /// <summary>
    /// Sets what differs from <paramref name="current"/> (the target's own lstat), in the same order; true when
    /// anything differed. Without <paramref name="apply"/> nothing is written (a dry run). An owner change
    /// rewrites the mode and the attributes too, since chown may have cleared them; the times are rewritten when
    /// anything else was, or when the mtime differs (a read moves the atime: that alone is not worth a write).
    /// </summary>
    public static bool Reconcile<T>(T target, FileStatus current, in FileMetadata metadata, bool isSymlink, OtherXattrs others, bool apply = true)
        where T : IMetadataTarget
    {
        var changed = false;
        if (current.Uid != metadata.Uid || current.Gid != metadata.Gid)
        {
            if (apply)
            {
                target.SetOwner(metadata.Uid, metadata.Gid);
            }

            changed = true;
        }

        if (!isSymlink && (changed || current.Permissions != metadata.Mode))
        {
            if (apply)
            {
                target.SetMode(metadata.Mode);
            }

            changed = true;
        }

        changed |= SyncXattrs(target, metadata.Xattrs, others, owned: changed, apply);
        if (changed || current.MtimeNs != metadata.MtimeNs)
        {
            if (apply)
            {
                target.SetTimes(metadata.AtimeNs, metadata.MtimeNs);
            }

            changed = true;
        }

        return changed;
    }

    /// <summary>Sets the named attributes that are missing or differ (all of them after a chown), removes the others as told.</summary>
    private static bool SyncXattrs<T>(T target, IReadOnlyDictionary<string, byte[]>? desired, OtherXattrs others, bool owned, bool apply)
        where T : IMetadataTarget
    {
        var present = target.GetXattrs();
        var changed = false;
        if (others != OtherXattrs.Keep)
        {
            foreach (var attribute in present.Keys)
            {
                if ((desired is null || !desired.ContainsKey(attribute)) && !(others == OtherXattrs.RemoveExceptSelinuxLabel && attribute == SelinuxLabel))
                {
                    if (apply)
                    {
                        target.RemoveXattr(attribute);
                    }

                    changed = true;
                }
            }
        }

        if (desired is not null)
        {
            foreach (var (attribute, value) in desired)
            {
                if ((owned && apply) || !present.TryGetValue(attribute, out var had) || !had.AsSpan().SequenceEqual(value))
                {
                    if (apply)
                    {
                        target.SetXattr(attribute, value);
                    }

                    changed = true;
                }
            }
        }

        return changed;
    }

    public const string SelinuxLabel = "security.selinux";
}
