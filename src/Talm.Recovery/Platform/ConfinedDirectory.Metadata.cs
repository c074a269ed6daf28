using System.Runtime.InteropServices;

namespace Talm.Recovery.Platform;

/// <summary>Owner, times, extended attributes and mode of a name in the directory, through /proc/self/fd so a renamed parent cannot redirect them.</summary>
public sealed unsafe partial class ConfinedDirectory
{
    /// <summary>lchown; <paramref name="name"/> "." is this directory.</summary>
    public void SetOwner(string name, int uid, int gid) => Wrapped(name, p => Posix.LChown(p, uid, gid));

    /// <summary>Nanosecond access and modification times of the name itself (a symlink's own); "." is this directory.</summary>
    public void SetTimes(string name, long atimeNs, long mtimeNs) => Wrapped(name, p => Posix.SetTimes(p, atimeNs, mtimeNs));

    public IReadOnlyDictionary<string, byte[]> GetXattrs(string name) => Wrapped(name, Posix.GetXattrs);

    public void SetXattr(string name, string attribute, byte[] value) => Wrapped(name, p => Posix.SetXattr(p, attribute, value));

    public void RemoveXattr(string name, string attribute) => Wrapped(name, p => Posix.RemoveXattr(p, attribute));

    /// <summary>Permission bits of a file or directory (never of a symlink, never through one); "." is this directory.</summary>
    public void SetMode(string name, int mode)
    {
        if (name == ".")
        {
            Wrapped(name, p => Posix.Chmod(p, mode));
            return;
        }

        CheckName(name);
        var fd = LibC.Openat(Fd, name, LibC.O_PATH | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NativeException("open", Child(name), Marshal.GetLastPInvokeError());
        }

        try
        {
            if (Posix.StatAt(fd, "", LibC.AT_EMPTY_PATH, Child(name)) is { Kind: FileKind.Symlink })
            {
                throw new IOException($"{Child(name)} is a symlink; its mode is not changed");
            }

            try
            {
                Posix.Chmod($"/proc/self/fd/{fd}", mode);
            }
            catch (NativeException e)
            {
                throw e.At(Child(name));
            }
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }
}
