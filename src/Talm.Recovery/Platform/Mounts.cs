using System.Runtime.InteropServices;

namespace Talm.Recovery.Platform;

/// <summary>Whether a path's mount is read-only, and remounts that change only that.</summary>
public static unsafe class Mounts
{
    private const ulong MsRdonly = 1;
    private const ulong MsNosuid = 2;
    private const ulong MsNodev = 4;
    private const ulong MsNoexec = 8;
    private const ulong MsRemount = 32;
    private const ulong MsNoatime = 1024;
    private const ulong MsNodiratime = 2048;
    private const ulong MsBind = 4096;
    private const ulong MsRelatime = 1 << 21;

    // statvfs f_flag bits (ST_*), in the order of the MS_* flag each maps to.
    private static readonly (ulong St, ulong Ms)[] KeptFlags =
    [
        (2, MsNosuid), (4, MsNodev), (8, MsNoexec), (1024, MsNoatime), (2048, MsNodiratime), (4096, MsRelatime),
    ];

    /// <summary>True when writes under <paramref name="path"/> fail with EROFS: its mount or its filesystem is read-only.</summary>
    public static bool IsReadOnly(string path) => (StatFlags(path) & 1) != 0;

    /// <summary>
    /// Changes only the read-only flag of the mount at <paramref name="path"/> (MS_REMOUNT|MS_BIND), keeping
    /// its nosuid, nodev, noexec and atime flags; the filesystem itself is untouched.
    /// </summary>
    public static void RemountMount(string path, bool readOnly) => Remount(path, MsBind, readOnly);

    /// <summary>Remounts the filesystem under <paramref name="path"/> read-only or read-write (MS_REMOUNT): every mount of it sees the change.</summary>
    public static void RemountFileSystem(string path, bool readOnly) => Remount(path, 0, readOnly);

    private static void Remount(string path, ulong extra, bool readOnly)
    {
        var current = StatFlags(path);
        var flags = MsRemount | extra | (readOnly ? MsRdonly : 0);
        foreach (var (st, ms) in KeptFlags)
        {
            if ((current & st) != 0)
            {
                flags |= ms;
            }
        }

        if (LibC.Mount(null, path, null, flags, null) != 0)
        {
            throw new NativeException(extra == MsBind ? "mount -o remount,bind" : "mount -o remount", path, Marshal.GetLastPInvokeError());
        }
    }

    private static ulong StatFlags(string path)
    {
        ulong* buf = stackalloc ulong[16];
        if (LibC.Statvfs(path, buf) != 0)
        {
            throw new NativeException("statvfs", path, Marshal.GetLastPInvokeError());
        }

        return buf[9];
    }
}
