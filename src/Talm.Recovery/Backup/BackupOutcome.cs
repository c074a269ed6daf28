using Talm.Recovery.Manifest;

namespace Talm.Recovery.Backup;

public enum BackupStatus
{
    Completed,
    /// <summary>A recovery is in progress: nothing was touched (exit 0).</summary>
    SkippedRecoveryInProgress,
    /// <summary>Not enough free space (exit 1).</summary>
    InsufficientSpace,
}

public sealed record BackupOutcome(BackupStatus Status, string Message, BackupManifest? Manifest = null, string? GenerationRoot = null, SpaceEstimate? Estimate = null)
{
    public int ExitCode => Status == BackupStatus.InsufficientSpace ? 1 : 0;

    /// <summary>Wall time of each phase of a completed backup, in the order the phases ended.</summary>
    public IReadOnlyList<(string Phase, TimeSpan Elapsed)> Phases { get; init; } = [];
}

/// <summary>A backup step that failed; the message names the cause and what to do.</summary>
public sealed class BackupException : Exception
{
    public BackupException()
    {
    }

    public BackupException(string message)
        : base(message)
    {
    }

    public BackupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
