using Microsoft.Extensions.Logging;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// The etcd snapshot, streamed from the start of the backup (beside the scan, the space check and the
/// copy) into a directory of its own next to the generation being built, and moved into the generation
/// once verified. Like a half-built generation, the directory is a leftover the next run removes if
/// this one dies; disposing the stage stops the stream and removes it.
/// </summary>
internal sealed class SnapshotStage : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _file;
    private readonly CancellationTokenSource _stop;

    private SnapshotStage(string directory, Task<SnapshotResult> task, CancellationTokenSource stop)
    {
        _directory = directory;
        _file = Path.Combine(directory, "snapshot.db");
        Task = task;
        _stop = stop;
    }

    /// <summary>Completes with the verified snapshot (its SHA-256 trailer checked), or faults.</summary>
    public Task<SnapshotResult> Task { get; }

    /// <summary>Bytes of the snapshot written so far.</summary>
    public long BytesWritten => Posix.TryLStat(_file)?.Size ?? 0;

    /// <param name="directory">Where the snapshot streams to (<see cref="BackupDirectory.SnapshotStagingPath"/>).</param>
    public static SnapshotStage Start(string directory, EtcdConnection connection, ProgressCounters counters, PhaseTimings timings, ILogger logger, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var file = Path.Combine(directory, "snapshot.db");
        var task = System.Threading.Tasks.Task.Run(
            async () =>
            {
                using var phase = timings.Measure("etcd snapshot (concurrent)");
                using var etcd = new EtcdClient(connection);
                var taken = await etcd.SnapshotAsync(file, counters.AddBytes, stop.Token).ConfigureAwait(false);

                // The revision inside the snapshot, and the key count at it, while etcd surely still has that revision.
                return await SnapshotFacts.CompleteAsync(etcd, file, taken, logger, stop.Token).ConfigureAwait(false);
            },
            stop.Token);
        return new SnapshotStage(directory, task, stop);
    }

    /// <summary>Moves the verified snapshot to <paramref name="path"/> (in the generation being built).</summary>
    public async Task<SnapshotResult> MoveToAsync(string path)
    {
        var result = await Task.ConfigureAwait(false);
        Posix.Rename(_file, path);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Task.IsCompleted)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        // Never remove the directory while the stream may still write into it.
        await System.Threading.Tasks.Task.WhenAny(Task).ConfigureAwait(false);
        _ = Task.Exception; // a failure the backup did not wait for (it stopped earlier) is observed here
        _stop.Dispose();
        if (Directory.Exists(_directory))
        {
            TreeRemover.Remove(_directory, 1);
        }
    }
}
