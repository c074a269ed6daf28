namespace Talm.Recovery.Restore.Native;

public enum FileType
{
    Missing,
    File,
    Directory,
    Symlink,
    Other,
}

/// <summary>What lstat says about one path (the fields the restore decides on).</summary>
public readonly record struct FileStatus(
    FileType Type,
    int Mode,
    int Uid,
    int Gid,
    long Size,
    long MtimeNs,
    long CtimeNs,
    ulong Inode,
    ulong Device,
    uint Links)
{
    public static readonly FileStatus Missing = new(FileType.Missing, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
