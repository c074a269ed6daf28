namespace Talm.Recovery.Platform;

/// <summary>
/// Permission bits talm writes, by name (CONTRIBUTING.md, "File modes by name"). A mode read from a file
/// (<see cref="FileStatus.Mode"/>) is data and stays a number.
/// </summary>
public static class FileModes
{
    /// <summary>0600: what only its owner reads and writes (the etcd snapshot, archives, locks).</summary>
    public const int OwnerReadWrite = (int)(UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>0700: a directory or script only its owner uses.</summary>
    public const int OwnerOnly = (int)(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

    /// <summary>0644: a file everyone reads, its owner writes.</summary>
    public const int Readable = OwnerReadWrite | (int)(UnixFileMode.GroupRead | UnixFileMode.OtherRead);

    /// <summary>0444: a file everyone reads, nobody writes.</summary>
    public const int ReadOnly = (int)(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

    /// <summary>0755: a program or directory everyone reads and runs, its owner writes.</summary>
    public const int Executable = OwnerOnly | (int)(UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

    /// <summary>04755: <see cref="Executable"/> with set-user-ID.</summary>
    public const int SetUserIdExecutable = Executable | (int)UnixFileMode.SetUser;

    /// <summary>0777: every read, write and execute bit (a symlink's mode; the mask of the permission bits).</summary>
    public const int All = 0x1FF;

    /// <summary>07777: the permission bits with set-user-ID, set-group-ID and sticky (what chmod sets).</summary>
    public const int PermissionBits = 0xFFF;
}
