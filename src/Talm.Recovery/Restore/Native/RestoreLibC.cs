using System.Runtime.InteropServices;

namespace Talm.Recovery.Restore.Native;

/// <summary>The two libc calls the restore needs beyond <see cref="Platform.Posix"/> (candidates to move there).</summary>
internal static partial class RestoreLibC
{
    private const int Enodata = 61;

    [LibraryImport("libc", EntryPoint = "lremovexattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Lremovexattr(string path, string name);

    [LibraryImport("libc", EntryPoint = "sync")]
    private static partial void SyncAll();

    /// <summary>Removes an extended attribute from the path itself; absent is fine.</summary>
    public static void RemoveXattr(string path, string name)
    {
        if (Lremovexattr(path, name) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Enodata)
            {
                throw new Platform.NativeException("lremovexattr " + name, path, errno);
            }
        }
    }

    /// <summary>Flushes every filesystem: the restored trees must be on disk before the stage is recorded.</summary>
    public static void Sync() => SyncAll();
}
