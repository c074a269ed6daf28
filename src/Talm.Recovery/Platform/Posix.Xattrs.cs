using System.Runtime.InteropServices;
using System.Text;

namespace Talm.Recovery.Platform;

/// <summary>Extended attributes (SELinux labels and the like) of a path, without following symlinks.</summary>
public static unsafe partial class Posix
{
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
}
