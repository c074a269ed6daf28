namespace Talm.Recovery.Platform;

/// <summary>A path that could lead outside the directory it must stay below.</summary>
public class UnsafePathException(string message) : IOException(message);

/// <summary>A symlink where the restore needs a real directory; it is never followed.</summary>
public sealed class SymlinkRefusedException(string path)
    : UnsafePathException($"{path} is a symlink where a directory is expected; the restore never follows a symlink there (it could lead outside the host root): replace it with the directory, then run again");
