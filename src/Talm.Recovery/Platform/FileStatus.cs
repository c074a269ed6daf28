namespace Talm.Recovery.Platform;

/// <summary>What <c>statx</c> says about one path, without following a final symlink.</summary>
public sealed record FileStatus
{
    public required ulong Device { get; init; }

    public required ulong Inode { get; init; }

    public required uint LinkCount { get; init; }

    /// <summary>Full st_mode: type bits and permission bits.</summary>
    public required uint Mode { get; init; }

    public required int Uid { get; init; }

    public required int Gid { get; init; }

    public required long Size { get; init; }

    public required long MtimeNs { get; init; }

    public required long CtimeNs { get; init; }

    public required long AtimeNs { get; init; }

    /// <summary>Permission bits including setuid/setgid/sticky.</summary>
    public int Permissions => (int)(Mode & FileModes.PermissionBits);

    public FileKind Kind => (Mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.Symlink,
        _ => FileKind.Special,
    };
}

public enum FileKind
{
    Regular,
    Directory,
    Symlink,
    /// <summary>Sockets, FIFOs and device nodes.</summary>
    Special,
}
