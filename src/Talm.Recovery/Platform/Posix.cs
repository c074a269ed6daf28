using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Talm.Recovery.Platform;

/// <summary>
/// The POSIX file operations .NET does not offer (inode identity, owners, nanosecond times on
/// symlinks, extended attributes, hard links, free space, directory fsync, clones), each throwing a
/// <see cref="NativeException"/> that names the call and the path.
/// </summary>
public static unsafe partial class Posix
{
    /// <summary>lstat semantics (a final symlink is not followed).</summary>
    public static FileStatus LStat(string path) =>
        TryLStat(path) ?? throw new NativeException("lstat", path, NativeException.ENOENT);

    /// <summary>lstat semantics; null when the path does not exist.</summary>
    public static FileStatus? TryLStat(string path) => StatAt(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW, path);

    /// <summary>statx(2) of <paramref name="name"/> relative to <paramref name="dirfd"/>; null when it does not exist.</summary>
    internal static FileStatus? StatAt(int dirfd, string name, int flags, string display)
    {
        byte* buf = stackalloc byte[256];
        if (LibC.Statx(dirfd, name, flags, LibC.STATX_BASIC_STATS, buf) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == NativeException.ENOENT || errno == NativeException.ENOTDIR)
            {
                return null;
            }

            throw new NativeException("lstat", display, errno);
        }

        return FromStatx(buf);
    }

    private static FileStatus FromStatx(byte* buf)
    {
        static long Ts(byte* b, int offset) => (*(long*)(b + offset) * 1_000_000_000L) + *(uint*)(b + offset + 8);
        var devMajor = *(uint*)(buf + 136);
        var devMinor = *(uint*)(buf + 140);
        return new FileStatus
        {
            LinkCount = *(uint*)(buf + 16),
            Uid = (int)*(uint*)(buf + 20),
            Gid = (int)*(uint*)(buf + 24),
            Mode = *(ushort*)(buf + 28),
            Inode = *(ulong*)(buf + 32),
            Size = *(long*)(buf + 40),
            AtimeNs = Ts(buf, 64),
            CtimeNs = Ts(buf, 96),
            MtimeNs = Ts(buf, 112),
            Device = ((ulong)devMajor << 32) | devMinor,
        };
    }

    public static void LChown(string path, int uid, int gid) => Check(LibC.Lchown(path, uid, gid), "lchown", path);

    /// <summary>Sets permission bits (including setuid/setgid/sticky); not for symlinks.</summary>
    public static void Chmod(string path, int mode) => Check(LibC.Chmod(path, (uint)mode), "chmod", path);

    /// <summary>Sets access and modification times in nanoseconds, on the link itself for a symlink.</summary>
    public static void SetTimes(string path, long atimeNs, long mtimeNs)
    {
        long* times = stackalloc long[4];
        times[0] = Math.DivRem(atimeNs, 1_000_000_000L, out var an);
        times[1] = an;
        times[2] = Math.DivRem(mtimeNs, 1_000_000_000L, out var mn);
        times[3] = mn;
        Check(LibC.Utimensat(LibC.AT_FDCWD, path, times, LibC.AT_SYMLINK_NOFOLLOW), "utimensat", path);
    }

    /// <summary>Creates a hard link <paramref name="newPath"/> to <paramref name="existingPath"/>.</summary>
    public static void Link(string existingPath, string newPath) =>
        Check(LibC.Link(existingPath, newPath), "link", newPath + " -> " + existingPath);

    public static void Symlink(string target, string linkPath) =>
        Check(LibC.Symlink(target, linkPath), "symlink", linkPath);

    /// <summary>rename(2): atomic replacement of <paramref name="newPath"/> (a file, a symlink or an empty directory).</summary>
    public static void Rename(string oldPath, string newPath) =>
        Check(LibC.Rename(oldPath, newPath), "rename", oldPath + " -> " + newPath);

    /// <summary>Bytes available to an unprivileged writer on the filesystem holding <paramref name="path"/>.</summary>
    public static long FreeBytes(string path)
    {
        ulong* buf = stackalloc ulong[16];
        Check(LibC.Statvfs(path, buf), "statvfs", path);
        var fragmentSize = buf[1];
        var available = buf[4];
        return (long)(fragmentSize * available);
    }

    /// <summary>fsync of a file or directory by path (a directory fsync makes its entries durable).</summary>
    public static void Fsync(string path)
    {
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw new NativeException("open", path, Marshal.GetLastPInvokeError());
        }

        try
        {
            Check(LibC.Fsync(fd), "fsync", path);
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }

    /// <summary>
    /// syncfs(2) on the filesystem holding <paramref name="path"/>: one call makes every written file,
    /// directory entry and inode on it durable (far cheaper than an fsync per file for tens of thousands).
    /// </summary>
    public static void SyncFilesystem(string path)
    {
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw new NativeException("open", path, Marshal.GetLastPInvokeError());
        }

        try
        {
            Check(LibC.Syncfs(fd), "syncfs", path);
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }

    private static void Check(int result, string call, string path)
    {
        if (result != 0)
        {
            throw new NativeException(call, path, Marshal.GetLastPInvokeError());
        }
    }
}
