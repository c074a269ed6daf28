using System.Runtime.InteropServices;

namespace Talm.Recovery.Restore.Native;

/// <summary>The libc call the restore needs beyond <see cref="Platform.Posix"/> (a candidate to move there).</summary>
internal static partial class RestoreLibC
{
    private const int Enodata = 61;

    [LibraryImport("libc", EntryPoint = "lremovexattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Lremovexattr(string path, string name);

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
}
