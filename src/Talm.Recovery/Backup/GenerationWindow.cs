using Microsoft.Extensions.Logging;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;

namespace Talm.Recovery.Backup;

/// <summary>
/// The restore points a backup keeps (<c>--keep N</c>: the newest N committed generations, the new one included) and
/// what becomes of the others. Before the build, whatever cannot stay once the new backup joins is removed: leftovers
/// of failed or killed runs, and restore points beyond the window after N was lowered (oldest first), so the space
/// check sees what they free. After the commit exactly one generation falls out of a full window; it is recycled
/// (<see cref="GenerationRecycler"/>) into the next backup's starting tree, so an unchanged node's backups go on
/// creating and freeing almost no inodes however many are kept.
/// </summary>
internal sealed class GenerationWindow(BackupDirectory dir, int keep, int parallelism, ILogger logger)
{
    public int Keep => keep;

    /// <summary>More restore points than the window holds: <see cref="Retire"/> has work to do.</summary>
    public bool Overflowing() => dir.RestorePoints().Count > keep;

    /// <summary>The restore points older than the current one, newest first.</summary>
    public IReadOnlyList<RestorePoint> Older() => [.. dir.RestorePoints().Skip(1)];

    /// <summary>
    /// Leaves under generations/ only the newest <see cref="Keep"/> restore points and the recycled tree: what a
    /// crash left (half-built, built but never committed, half-retired) and restore points beyond the window go.
    /// </summary>
    public void Prepare()
    {
        var points = dir.RestorePoints();
        foreach (var point in points.Skip(keep).Reverse())
        {
            logger.LogInformation("Removing restore point {Generation}: it is beyond --keep {Keep}, which counts the new backup", point.Id, keep);
            Remove(point.Id);
        }

        foreach (var directory in dir.GenerationsOtherThan(points.Take(keep).Select(p => p.Id).ToHashSet(StringComparer.Ordinal)).ToList())
        {
            logger.LogInformation("Removing incomplete or superseded backup {Dir}", directory);
            TreeRemover.Remove(directory, parallelism);
        }
    }

    /// <summary>Removes the oldest restore point but the current one (<c>--replace-existing</c> when space is short); false when there is none.</summary>
    public bool DropOldest()
    {
        if (Older() is not { Count: > 0 } older)
        {
            return false;
        }

        logger.LogWarning("Not enough space: removing the oldest restore point {Generation} first (--replace-existing)", older[^1].Id);
        Remove(older[^1].Id);
        return true;
    }

    /// <summary>
    /// After the commit: the generations beyond the window leave it; the newest of them (the superseded backup when
    /// N is 1) becomes <paramref name="recycle"/>. <paramref name="previousGeneration"/>, the generation the new backup
    /// linked from, comes with what the copier knows it shares; for any other the link counts tell (see
    /// <see cref="GenerationRecycler.SharedElsewhere"/>).
    /// </summary>
    /// <returns>The generation recycled, or null.</returns>
    public string? Retire(string? previousGeneration, BackupManifest? previous, Func<IReadOnlySet<string>> sharedWithPrevious, string recycle)
    {
        var points = dir.RestorePoints();
        var falling = points.Skip(keep).ToList();
        if (falling.Count == 0)
        {
            return null;
        }

        foreach (var old in falling.Skip(1).Reverse())
        {
            Remove(old.Id);
        }

        // Out of the list of restore points before anything of it is unlinked: a crash half way leaves a leftover, not a damaged restore point.
        var next = falling[0];
        var retired = dir.Retire(next.Id);
        var linkedFrom = next.Id == previousGeneration;
        var manifest = linkedFrom ? previous : ManifestStore.TryRead(retired);
        if (manifest is null)
        {
            TreeRemover.Remove(retired, parallelism);
            return null;
        }

        var shared = linkedFrom ? sharedWithPrevious() : GenerationRecycler.SharedElsewhere(retired, manifest, parallelism);
        var unlinked = GenerationRecycler.Recycle(retired, manifest, shared, recycle, parallelism);
        logger.LogDebug("Recycled generation {Generation}: {Unlinked} names of its own unlinked, {Shared} names of shared inodes kept", next.Id, unlinked, shared.Count);
        return next.Id;
    }

    private void Remove(string id) => TreeRemover.Remove(dir.Retire(id), parallelism);
}
