using Microsoft.Extensions.Logging;

namespace Talm.Recovery.Etcd;

/// <summary>
/// What the manifest records of a snapshot for <c>verify --deep</c> to compare: the revision the snapshot
/// itself holds (etcd keeps writing while it streams, so the status taken before is only a lower bound) and
/// how many keys etcd held at that revision, counted by the live etcd.
/// </summary>
public static class SnapshotFacts
{
    public static async Task<SnapshotResult> CompleteAsync(EtcdClient etcd, string snapshotPath, SnapshotResult taken, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(taken);
        ArgumentNullException.ThrowIfNull(logger);
        long revision;
        try
        {
            revision = SnapshotRevision.Read(snapshotPath);
        }
        catch (InvalidDataException e)
        {
            // The trailer matched: the file is what etcd sent. A layout this reader does not know only costs the exact figures.
            logger.LogWarning("Cannot read the revision inside the etcd snapshot ({Problem}); recording the revision etcd reported before it, and no key count", e.Message);
            return taken;
        }

        try
        {
            return taken with { Revision = revision, KeyCount = await etcd.CountAllAsync(revision, cancellationToken).ConfigureAwait(false) };
        }
        catch (EtcdException e)
        {
            // Compacted past the snapshot already (seconds after it), or etcd went away: the snapshot is still good.
            logger.LogWarning("etcd could not count its keys at the snapshot's revision {Revision} ({Problem}); the backup records no key count", revision, e.Message);
            return taken with { Revision = revision };
        }
    }
}
