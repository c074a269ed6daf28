namespace Talm.Cli.Commands;

/// <summary>
/// What the exit code of a spoke command (<c>talm recovery ...</c>, <c>launchBackup</c>) means: one code per
/// class of outcome, listed in docs/spoke.md and docs/recovery.md.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>backup: not enough free space (the last good backup is kept). The reference's code.</summary>
    public const int InsufficientSpace = 1;

    /// <summary>verify and status: the backup is not intact, or there is none.</summary>
    public const int NotIntact = 1;

    /// <summary>rollback: refused or failed (the message says which and why).</summary>
    public const int RollbackFailed = 1;

    /// <summary>The command line, or a file or directory it names, is wrong; nothing was done.</summary>
    public const int BadInput = 2;

    /// <summary>backup: failed while it ran (etcd, a node tool, the disk); the last good backup is kept.</summary>
    public const int BackupFailed = 3;

    /// <summary>restore: refused before its next stage (pre-checks, a damaged backup, another node or OS, another host root); this run changed nothing.</summary>
    public const int RestoreRefused = 4;

    /// <summary>restore: a stage failed part way; fix the cause, then <c>--resume</c> repeats it.</summary>
    public const int RestoreStageFailed = 5;

    /// <summary>A bug: something talm did not expect. One line says what; <c>TALM_TRACE=1</c> adds where.</summary>
    public const int InternalError = 70;

    /// <summary>Interrupted (SIGINT/SIGTERM) before it could finish.</summary>
    public const int Interrupted = 130;
}
