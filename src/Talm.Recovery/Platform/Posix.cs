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

    /// <summary>Names of the extended attributes of a path (of the link itself for a symlink).</summary>
    public static IReadOnlyList<string> ListXattrs(string path)
    {
        while (true)
        {
            var size = LibC.Llistxattr(path, null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == NativeException.EOPNOTSUPP)
                {
                    return [];
                }

                throw new NativeException("llistxattr", path, errno);
            }

            if (size == 0)
            {
                return [];
            }

            var buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                var got = LibC.Llistxattr(path, p, (nuint)buffer.Length);
                if (got < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == NativeException.ERANGE)
                    {
                        continue; // grew in between: ask again
                    }

                    throw new NativeException("llistxattr", path, errno);
                }

                return Encoding.UTF8.GetString(buffer, 0, (int)got)
                    .Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
        }
    }

    /// <summary>The value of one extended attribute, or null when it is absent.</summary>
    public static byte[]? GetXattr(string path, string name)
    {
        while (true)
        {
            var size = LibC.Lgetxattr(path, name, null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == NativeException.ENODATA)
                {
                    return null;
                }

                throw new NativeException("lgetxattr " + name, path, errno);
            }

            var buffer = new byte[size];
            if (size == 0)
            {
                return buffer;
            }

            fixed (byte* p = buffer)
            {
                var got = LibC.Lgetxattr(path, name, p, (nuint)buffer.Length);
                if (got < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == NativeException.ERANGE)
                    {
                        continue;
                    }

                    throw new NativeException("lgetxattr " + name, path, errno);
                }

                return got == buffer.Length ? buffer : buffer[..(int)got];
            }
        }
    }

    /// <summary>All extended attributes of a path, name to value.</summary>
    public static IReadOnlyDictionary<string, byte[]> GetXattrs(string path)
    {
        var names = ListXattrs(path);
        if (names.Count == 0)
        {
            return new Dictionary<string, byte[]>();
        }

        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var value = GetXattr(path, name);
            if (value is not null)
            {
                result[name] = value;
            }
        }

        return result;
    }

    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            Check(LibC.Lsetxattr(path, name, p, (nuint)value.Length, 0), "lsetxattr " + name, path);
        }
    }

    /// <summary>Removes an extended attribute from the path itself (not a symlink's target); absent is fine.</summary>
    public static void RemoveXattr(string path, string name)
    {
        if (LibC.Lremovexattr(path, name) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != NativeException.ENODATA)
            {
                throw new NativeException("lremovexattr " + name, path, errno);
            }
        }
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

    /// <summary>
    /// Starts writeback of a range of a file's dirty pages without waiting for it to complete
    /// (sync_file_range WRITE), so the disk works while the next files are copied and the final
    /// syncfs has little left to do. It makes nothing durable by itself. Returns false when the
    /// call failed (the data is still written by the final sync).
    /// </summary>
    public static bool StartWriteback(SafeFileHandle file, long offset = 0, long length = 0)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return LibC.SyncFileRange(file.DangerousGetHandle(), offset, length, 2 /* SYNC_FILE_RANGE_WRITE */) == 0;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Creates a new file (mode 0600) opened for writes that bypass the page cache (O_DIRECT): the
    /// data goes from the caller's buffer to the disk without being copied into freshly allocated
    /// cache pages, and leaves nothing dirty for the final sync but the metadata. Null when the
    /// filesystem refuses O_DIRECT (EINVAL). Writes need block-aligned buffers, offsets and lengths
    /// until <see cref="EndDirectWrites"/>.
    /// </summary>
    public static SafeFileHandle? TryCreateDirect(string path)
    {
        var fd = LibC.OpenCreate(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_DIRECT | LibC.O_CLOEXEC, 0x180);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == NativeException.EINVAL)
        {
            // Linux creates the file before it finds that the filesystem has no O_DIRECT (ramfs,
            // some FUSE): O_EXCL means the file is ours, so remove it for the caller's fallback.
            _ = LibC.Unlink(path);
            return null;
        }

        throw new NativeException("open O_DIRECT", path, errno);
    }

    /// <summary>Turns O_DIRECT off on an open file, so that an unaligned tail can be written through the cache.</summary>
    public static void EndDirectWrites(SafeFileHandle file)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var fd = file.DangerousGetHandle();
            var flags = LibC.Fcntl(fd, LibC.F_GETFL, 0);
            if (flags < 0 || LibC.Fcntl(fd, LibC.F_SETFL, flags & ~LibC.O_DIRECT) != 0)
            {
                throw new NativeException("fcntl F_SETFL", "fd " + fd, Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Makes <paramref name="destination"/> share <paramref name="source"/>'s blocks (FICLONE); false when the filesystem cannot.</summary>
    public static bool TryClone(SafeFileHandle source, SafeFileHandle destination)
    {
        var added = false;
        var addedDest = false;
        try
        {
            source.DangerousAddRef(ref added);
            destination.DangerousAddRef(ref addedDest);
            return LibC.Ioctl(destination.DangerousGetHandle(), LibC.FICLONE, source.DangerousGetHandle()) == 0;
        }
        finally
        {
            if (added)
            {
                source.DangerousRelease();
            }

            if (addedDest)
            {
                destination.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Copies all of <paramref name="source"/> into the empty <paramref name="destination"/>: a clone where
    /// the filesystem shares blocks, else copy_file_range (in the kernel), else read and write.
    /// </summary>
    public static void CopyContent(SafeFileHandle source, SafeFileHandle destination, string display)
    {
        if (TryClone(source, destination))
        {
            return;
        }

        var added = false;
        var addedDest = false;
        try
        {
            source.DangerousAddRef(ref added);
            destination.DangerousAddRef(ref addedDest);
            var copied = false;
            while (true)
            {
                var n = LibC.CopyFileRange(source.DangerousGetHandle(), null, destination.DangerousGetHandle(), null, 1 << 30, 0);
                if (n > 0)
                {
                    copied = true;
                    continue;
                }

                if (n == 0)
                {
                    return;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (copied || errno is not (NativeException.EXDEV or NativeException.EINVAL or NativeException.ENOSYS or NativeException.EOPNOTSUPP or NativeException.EPERM))
                {
                    throw new NativeException("copy_file_range", display, errno);
                }

                break;
            }
        }
        finally
        {
            if (added)
            {
                source.DangerousRelease();
            }

            if (addedDest)
            {
                destination.DangerousRelease();
            }
        }

        // No in-kernel copy between these two (different filesystem types, an old kernel): through a buffer.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(source, buffer, offset)) > 0)
            {
                RandomAccess.Write(destination, buffer.AsSpan(0, read), offset);
                offset += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
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
