namespace Talm.Recovery.Manifest;

/// <summary>
/// <c>&lt;dir&gt;/.lock</c>, held (an advisory lock, released when the process ends however it ends) by a backup while it
/// runs and by a restore while it runs: a second backup, or a backup during a restore, could otherwise recycle the
/// generation the other is reading.
/// </summary>
public static class BackupLock
{
    public const string FileName = ".lock";

    /// <summary>The held lock, or null when another process holds it.</summary>
    public static FileStream? TryAcquire(string dir)
    {
        try
        {
            return new FileStream(Path.Combine(dir, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (Directory.Exists(dir))
        {
            return null;
        }
    }
}
