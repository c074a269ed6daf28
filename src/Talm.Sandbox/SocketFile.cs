using System.Runtime.InteropServices;
using System.Text;

namespace Talm.Sandbox;

/// <summary>
/// A Unix socket left on disk with nothing listening, like journald's <c>/dev/log</c> seen from a pod's
/// hostPath volume. (.NET removes the file of a socket it disposes, hence the direct libc calls.)
/// </summary>
internal static partial class SocketFile
{
    private const int AfUnix = 1;
    private const int SockDgram = 2;

    public static void Create(string path)
    {
        var name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= 108)
        {
            throw new PathTooLongException($"{path} is too long for a Unix socket (108 bytes)");
        }

        var address = new byte[110];
        BitConverter.GetBytes((ushort)AfUnix).CopyTo(address, 0);
        name.CopyTo(address, 2);
        var fd = Socket(AfUnix, SockDgram, 0);
        if (fd < 0)
        {
            throw new IOException($"socket(AF_UNIX): errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (Bind(fd, address, address.Length) != 0)
            {
                throw new IOException($"bind {path}: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte[] address, int length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
