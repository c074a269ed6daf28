namespace Talm.Recovery.Backup;

/// <summary>One progress reading: what phase, how much of how much, how fast, how long to go.</summary>
public sealed record BackupProgress(
    string Phase,
    long BytesDone,
    long BytesTotal,
    long FilesDone,
    long FilesTotal,
    double BytesPerSecond,
    TimeSpan? Eta,
    TimeSpan Elapsed);

/// <summary>Where progress goes: a terminal progress bar, periodic log lines, or a test's list.</summary>
public interface IBackupProgressReporter
{
    void Report(BackupProgress progress);
}

/// <summary>Discards progress.</summary>
public sealed class NullProgressReporter : IBackupProgressReporter
{
    public static readonly NullProgressReporter Instance = new();

    public void Report(BackupProgress progress)
    {
    }
}
