using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Talm.Recovery.Restore.Native;

/// <summary>Metadata operations on host paths that never follow a final symlink.</summary>
public static class HostFs
{
    private const int Enoent = 2;
    private const int Enotdir = 20;
    private const int Enodata = 61;

    public static unsafe FileStatus Lstat(string path)
    {
        var buffer = stackalloc byte[256];
        if (LibC.Statx(LibC.AtFdCwd, path, LibC.AtSymlinkNoFollow, LibC.StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Enoent or Enotdir)
            {
                return FileStatus.Missing;
            }

            throw Error("stat", path, errno);
        }

        var span = new ReadOnlySpan<byte>(buffer, 256);
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(span[28..]);
        var type = (mode & 0xF000) switch
        {
            0x8000 => FileType.File,
            0x4000 => FileType.Directory,
            0xA000 => FileType.Symlink,
            _ => FileType.Other,
        };
        return new FileStatus(
            type,
            mode & 0xFFF,
            (int)BinaryPrimitives.ReadUInt32LittleEndian(span[20..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(span[24..]),
            (long)BinaryPrimitives.ReadUInt64LittleEndian(span[40..]),
            Timestamp(span[112..]),
            Timestamp(span[96..]),
            BinaryPrimitives.ReadUInt64LittleEndian(span[32..]),
            ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(span[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(span[140..]),
            BinaryPrimitives.ReadUInt32LittleEndian(span[16..]));
    }

    public static void Lchown(string path, int uid, int gid)
    {
        if (LibC.Lchown(path, uid, gid) != 0)
        {
            throw Error("chown", path, Marshal.GetLastPInvokeError());
        }
    }

    public static void Chmod(string path, int mode)
    {
        if (LibC.Chmod(path, mode) != 0)
        {
            throw Error("chmod", path, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sets the modification time (ns since the epoch) of the path itself, leaving atime alone.</summary>
    public static unsafe void SetMtime(string path, long mtimeNs)
    {
        var times = stackalloc long[4];
        times[0] = 0;
        times[1] = LibC.UtimeOmit;
        times[2] = Math.DivRem(mtimeNs, 1_000_000_000L, out var ns);
        if (ns < 0)
        {
            ns += 1_000_000_000L;
            times[2]--;
        }

        times[3] = ns;
        if (LibC.Utimensat(LibC.AtFdCwd, path, times, LibC.AtSymlinkNoFollow) != 0)
        {
            throw Error("set times of", path, Marshal.GetLastPInvokeError());
        }
    }

    public static void Link(string existing, string newPath)
    {
        if (LibC.Link(existing, newPath) != 0)
        {
            throw Error("hard-link", $"{newPath} -> {existing}", Marshal.GetLastPInvokeError());
        }
    }

    public static void Rename(string from, string to)
    {
        if (LibC.Rename(from, to) != 0)
        {
            throw Error("rename", $"{from} -> {to}", Marshal.GetLastPInvokeError());
        }
    }

    public static void Sync() => LibC.Sync();

    /// <summary>All extended attributes of the path itself: name → value.</summary>
    public static unsafe Dictionary<string, byte[]> ListXattrs(string path)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var size = LibC.Llistxattr(path, null, 0);
        if (size < 0)
        {
            throw Error("list xattrs of", path, Marshal.GetLastPInvokeError());
        }

        if (size == 0)
        {
            return result;
        }

        var names = new byte[size + 256];
        fixed (byte* p = names)
        {
            size = LibC.Llistxattr(path, p, (nuint)names.Length);
        }

        if (size < 0)
        {
            throw Error("list xattrs of", path, Marshal.GetLastPInvokeError());
        }

        foreach (var name in Encoding.UTF8.GetString(names, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var value = GetXattr(path, name);
            if (value is not null)
            {
                result[name] = value;
            }
        }

        return result;
    }

    public static unsafe void SetXattr(string path, string name, byte[] value)
    {
        fixed (byte* p = value)
        {
            if (LibC.Lsetxattr(path, name, p, (nuint)value.Length, 0) != 0)
            {
                throw Error($"set xattr {name} on", path, Marshal.GetLastPInvokeError());
            }
        }
    }

    public static void RemoveXattr(string path, string name)
    {
        if (LibC.Lremovexattr(path, name) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Enodata)
            {
                throw Error($"remove xattr {name} from", path, errno);
            }
        }
    }

    private static unsafe byte[]? GetXattr(string path, string name)
    {
        var size = LibC.Lgetxattr(path, name, null, 0);
        if (size < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == Enodata ? null : throw Error($"read xattr {name} of", path, errno);
        }

        var value = new byte[size];
        fixed (byte* p = value)
        {
            size = LibC.Lgetxattr(path, name, p, (nuint)value.Length);
        }

        return size < 0 ? throw Error($"read xattr {name} of", path, Marshal.GetLastPInvokeError()) : value[..(int)size];
    }

    private static long Timestamp(ReadOnlySpan<byte> span) =>
        (BinaryPrimitives.ReadInt64LittleEndian(span) * 1_000_000_000L) + BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);

    private static IOException Error(string what, string path, int errno) =>
        new($"cannot {what} {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
}
