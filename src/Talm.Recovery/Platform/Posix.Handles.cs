using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Talm.Recovery.Platform;

/// <summary>
/// Operations on an open file: a copy sets a file's owner, mode, attributes and times through the
/// descriptor it already holds instead of resolving the path again for each call.
/// </summary>
public static unsafe partial class Posix
{
    /// <summary>statx of an open file.</summary>
    public static FileStatus FStat(SafeFileHandle file, string pathForErrors)
    {
        byte* buf = stackalloc byte[256];
        var fd = AddRef(file, out var added);
        try
        {
            Check(LibC.Fstatx(fd, "", LibC.AT_EMPTY_PATH | LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, buf), "statx", pathForErrors);
            return FromStatx(buf);
        }
        finally
        {
            Release(file, added);
        }
    }

    /// <summary>Owner, then mode (chown clears setuid bits), then xattrs (chown drops security.capability), then times.</summary>
    public static void SetMetadata(SafeFileHandle file, string pathForErrors, FileStatus status, IReadOnlyDictionary<string, byte[]>? xattrs)
    {
        ArgumentNullException.ThrowIfNull(status);
        var fd = AddRef(file, out var added);
        try
        {
            Check(LibC.Fchown(fd, status.Uid, status.Gid), "fchown", pathForErrors);
            Check(LibC.Fchmod(fd, (uint)status.Permissions), "fchmod", pathForErrors);
            if (xattrs is not null)
            {
                foreach (var (name, value) in xattrs)
                {
                    fixed (byte* p = value)
                    {
                        Check(LibC.Fsetxattr(fd, name, p, (nuint)value.Length, 0), "fsetxattr " + name, pathForErrors);
                    }
                }
            }

            long* times = stackalloc long[4];
            times[0] = Math.DivRem(status.AtimeNs, 1_000_000_000L, out var an);
            times[1] = an;
            times[2] = Math.DivRem(status.MtimeNs, 1_000_000_000L, out var mn);
            times[3] = mn;
            Check(LibC.Futimens(fd, times), "futimens", pathForErrors);
        }
        finally
        {
            Release(file, added);
        }
    }

    /// <summary>All extended attributes of an open file, name to value; null when it has none.</summary>
    public static IReadOnlyDictionary<string, byte[]>? GetXattrs(SafeFileHandle file, string pathForErrors)
    {
        var fd = AddRef(file, out var added);
        try
        {
            Span<byte> small = stackalloc byte[256];
            nint size;
            fixed (byte* p = small)
            {
                size = LibC.Flistxattr(fd, p, (nuint)small.Length);
            }

            byte[] names;
            if (size >= 0)
            {
                if (size == 0)
                {
                    return null;
                }

                names = small[..(int)size].ToArray();
            }
            else
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == NativeException.EOPNOTSUPP)
                {
                    return null;
                }

                if (errno != NativeException.ERANGE)
                {
                    throw new NativeException("flistxattr", pathForErrors, errno);
                }

                // More names than the small buffer holds (rare): fall back to the path-based reader.
                var all = GetXattrs(pathForErrors);
                return all.Count == 0 ? null : all;
            }

            var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var name in Encoding.UTF8.GetString(names).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                var value = GetXattr(fd, name, pathForErrors);
                if (value is not null)
                {
                    result[name] = value;
                }
            }

            return result.Count == 0 ? null : result;
        }
        finally
        {
            Release(file, added);
        }
    }

    /// <summary>
    /// open(2) for reading, without what <see cref="File.OpenHandle"/> adds per file (an fstat and an
    /// advisory lock): a backup opens ten thousand files. A missing file is a <see cref="FileNotFoundException"/>.
    /// </summary>
    public static SafeFileHandle OpenRead(string path, bool sequential)
    {
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno is NativeException.ENOENT or 20 /* ENOTDIR */
                ? new FileNotFoundException($"{path} does not exist", path)
                : new NativeException("open", path, errno);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (sequential)
        {
            _ = LibC.PosixFadvise(fd, 0, 0, 2 /* POSIX_FADV_SEQUENTIAL */);
        }

        return handle;
    }

    /// <summary>Creates a new file (O_EXCL, mode 0600 until its metadata is set) for writing.</summary>
    public static SafeFileHandle CreateNew(string path)
    {
        var fd = LibC.OpenCreate(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, FileModes.OwnerReadWrite);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw new NativeException("open O_CREAT", path, Marshal.GetLastPInvokeError());
    }

    /// <summary>pread(2), retried on EINTR; 0 at the end of the file.</summary>
    public static int Read(SafeFileHandle file, Span<byte> buffer, long offset, string pathForErrors)
    {
        var fd = AddRef(file, out var added);
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var got = LibC.Pread(fd, p, (nuint)buffer.Length, offset);
                    if (got >= 0)
                    {
                        return (int)got;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != 4 /* EINTR */)
                    {
                        throw new NativeException("pread", pathForErrors, errno);
                    }
                }
            }
        }
        finally
        {
            Release(file, added);
        }
    }

    /// <summary>pwrite(2) of the whole buffer.</summary>
    public static void Write(SafeFileHandle file, ReadOnlySpan<byte> buffer, long offset, string pathForErrors)
    {
        var fd = AddRef(file, out var added);
        try
        {
            fixed (byte* p = buffer)
            {
                var done = 0;
                while (done < buffer.Length)
                {
                    var put = LibC.Pwrite(fd, p + done, (nuint)(buffer.Length - done), offset + done);
                    if (put < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == 4 /* EINTR */)
                        {
                            continue;
                        }

                        throw new NativeException("pwrite", pathForErrors, errno);
                    }

                    done += (int)put;
                }
            }
        }
        finally
        {
            Release(file, added);
        }
    }

    public static void Truncate(SafeFileHandle file, long length, string pathForErrors)
    {
        var fd = AddRef(file, out var added);
        try
        {
            Check(LibC.Ftruncate(fd, length), "ftruncate", pathForErrors);
        }
        finally
        {
            Release(file, added);
        }
    }

    /// <summary>unlink(2); false when the name did not exist.</summary>
    public static bool TryUnlink(string path)
    {
        if (LibC.Unlink(path) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == NativeException.ENOENT ? false : throw new NativeException("unlink", path, errno);
    }

    private static byte[]? GetXattr(nint fd, string name, string pathForErrors)
    {
        while (true)
        {
            var size = LibC.Fgetxattr(fd, name, null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == NativeException.ENODATA ? null : throw new NativeException("fgetxattr " + name, pathForErrors, errno);
            }

            var buffer = new byte[size];
            if (size == 0)
            {
                return buffer;
            }

            fixed (byte* p = buffer)
            {
                var got = LibC.Fgetxattr(fd, name, p, (nuint)buffer.Length);
                if (got >= 0)
                {
                    return got == buffer.Length ? buffer : buffer[..(int)got];
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != NativeException.ERANGE)
                {
                    throw new NativeException("fgetxattr " + name, pathForErrors, errno);
                }
            }
        }
    }

    private static nint AddRef(SafeFileHandle file, out bool added)
    {
        added = false;
        file.DangerousAddRef(ref added);
        return file.DangerousGetHandle();
    }

    private static void Release(SafeFileHandle file, bool added)
    {
        if (added)
        {
            file.DangerousRelease();
        }
    }
}
