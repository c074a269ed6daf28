using Talm.Recovery.Layout;

namespace Talm.Recovery.Restore;

/// <summary>
/// The backup a restore uses: the current one, or a kept restore point (<c>--generation ID</c>). The choice is recorded
/// beside the progress file when the restore begins, so <c>--resume</c> (which <c>upgrade-recovery.sh</c> runs without
/// <c>--generation</c>) continues from the same backup, and a different <c>--generation</c> is refused until <c>--restart</c>.
/// </summary>
/// <param name="Root">The generation directory (or the backup directory itself when it holds a manifest directly).</param>
/// <param name="Generation">Its ID; null for a backup directory without generations.</param>
public sealed record RestoreSource(string Root, string? Generation, bool IsCurrent)
{
    /// <summary>How the restore's messages name it, e.g. <c>restore point 20261124-101500-ab12cd (an older backup, not the current one)</c>.</summary>
    public string Describe() => Generation is null ? "the backup" : IsCurrent ? $"restore point {Generation} (the current backup)" : $"restore point {Generation} (an older backup, not the current one)";

    /// <summary>
    /// Picks the backup: the one a started restore recorded (refusing another <paramref name="requested"/>), else
    /// <paramref name="requested"/>, else the current one. Throws <see cref="RestoreFailedException"/> for an unknown ID.
    /// </summary>
    /// <param name="started">The restore has begun (the progress file lists a stage).</param>
    /// <param name="program">How to run the restore, for the messages.</param>
    public static RestoreSource Choose(string backupDir, string? requested, bool started, string program)
    {
        var dir = new BackupDirectory(backupDir);
        var began = started ? dir.Progress.RecordedGeneration() ?? dir.CurrentId() : null;
        if (began is not null && requested is not null && requested != began)
        {
            throw new RestoreFailedException(
                $"The restore in {backupDir} began from restore point {began}, not {requested}; nothing was changed. " +
                $"Run '{program} --resume' to continue it from {began}, or '{program} --restart --generation {requested}' to start over from {requested}.");
        }

        var id = began ?? requested;
        if (id is null)
        {
            var root = dir.CurrentRoot()
                ?? throw new RestoreFailedException($"Required backup content not found in {backupDir} (no {BackupLayout.Manifest}: the backup is incomplete); take a new backup with 'talm recovery backup'");
            return new RestoreSource(root, dir.CurrentId(), true);
        }

        var point = dir.FindRestorePoint(id)
            ?? throw (began is not null
                ? new RestoreFailedException($"The restore in {backupDir} began from restore point {id}, which is no longer there; nothing was changed. Run '{program} --restart' to start over from another one ({dir.UnknownRestorePoint(id)})")
                : new RestoreFailedException(dir.UnknownRestorePoint(id), null, RestoreFailure.BadInput));
        return new RestoreSource(point.Root, point.Id, point.IsCurrent);
    }

    /// <summary>The restore point a started restore recorded; null when none was (a backup directory without generations, or a restore begun by an older talm).</summary>
    public static string? Recorded(string backupDir) => new BackupDirectory(backupDir).Progress.RecordedGeneration();

    /// <summary>Records, durably, the restore point a restore begins from (before its first stage is recorded).</summary>
    public void Record(string backupDir) => new BackupDirectory(backupDir).Progress.RecordGeneration(Generation);
}
