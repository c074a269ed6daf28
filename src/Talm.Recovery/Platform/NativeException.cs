using System.Runtime.InteropServices;

namespace Talm.Recovery.Platform;

/// <summary>A failed libc call, naming the call, the path and the errno text.</summary>
public sealed class NativeException : IOException
{
    public NativeException(string call, string path, int errno)
        : base($"{call} {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Call = call;
        Errno = errno;
    }

    public NativeException()
    {
        Call = "";
    }

    public NativeException(string message)
        : base(message)
    {
        Call = "";
    }

    public NativeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Call = "";
    }

    public string Call { get; }

    /// <summary>The same failure, naming <paramref name="path"/> (what the engineer knows) instead of the path the call was given.</summary>
    public NativeException At(string path) => Errno == 0 ? this : new NativeException(Call, path, Errno);

    public int Errno { get; }

    public const int ENOENT = 2;
    public const int EEXIST = 17;
    public const int EXDEV = 18;
    public const int ENOSPC = 28;
    public const int ENODATA = 61;
    public const int EOPNOTSUPP = 95;
    public const int ERANGE = 34;
    public const int EINVAL = 22;
    public const int ENOTTY = 25;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ELOOP = 40;
    public const int ENOSYS = 38;
    public const int EPERM = 1;
    public const int E2BIG = 7;
    public const int EAGAIN = 11;
}
