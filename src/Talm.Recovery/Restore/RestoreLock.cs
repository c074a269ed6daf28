namespace Talm.Recovery.Restore;

/// <summary>
/// One restore at a time per backup directory: the unattended unit at boot and an engineer's <c>--resume</c> over SSH
/// must not both rewrite the node. A lock on <c>&lt;dir&gt;/.restore.lock</c>, held while the restore runs and released by
/// the kernel when its process ends, however it ends.
/// </summary>
public static class RestoreLock
{
    public const string FileName = ".restore.lock";

    /// <summary>The held lock; null when the directory cannot hold one (the restore then reports what is wrong with it itself).</summary>
    public static FileStream? Acquire(string backupDir)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(Path.Combine(backupDir, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        try
        {
            // A POSIX record lock (fcntl): held by this process, whichever of its handles opened the file.
            if (OperatingSystem.IsLinux())
            {
                stream.Lock(0, 1);
            }

            return stream;
        }
        catch (IOException e)
        {
            stream.Dispose();
            throw new RestoreFailedException(
                $"Another restore is running from {backupDir} (it holds {FileName}); nothing was changed. If it is the unattended one, follow it with " +
                $"'journalctl -t {NodeTools.RecoveryLog.JournalTag} -f' or 'talm recovery status', and stop it with 'systemctl stop {Systemd.RestoreUnit.Name}' before running the restore by hand.",
                e);
        }
    }
}
