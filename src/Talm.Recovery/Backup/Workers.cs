namespace Talm.Recovery.Backup;

/// <summary>
/// Runs blocking file work on dedicated threads, several lanes at once, each lane with its own
/// worker count. The thread pool would add threads for blocking work only slowly (it starts at
/// one per core), so asking it for 16 concurrent blocking copies does not give 16.
/// </summary>
internal static class Workers
{
    /// <summary>
    /// Unlinks at once. Freeing a file's blocks can wait on the device (ext4 with the discard mount
    /// option and no journal discards every freed extent before unlink returns: about 2.4 ms per small
    /// file on the disk measured), so removal is latency-bound, not CPU-bound, and scales with threads.
    /// </summary>
    public const int UnlinkParallelism = 32;

    /// <summary>Runs <paramref name="work"/> on every item on <paramref name="workers"/> dedicated threads; the first failure is rethrown.</summary>
    public static void Run<T>(IReadOnlyList<T> items, int workers, Action<T> work)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count <= 1 || workers <= 1)
        {
            foreach (var item in items)
            {
                work(item);
            }

            return;
        }

        RunAsync([(items, workers)], work, CancellationToken.None).GetAwaiter().GetResult();
    }

    public static async Task RunAsync<T>(IReadOnlyList<(IReadOnlyList<T> Items, int Workers)> lanes, Action<T> work, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new List<Task>();
        foreach (var (items, workers) in lanes)
        {
            var next = -1;
            for (var w = 0; w < Math.Min(Math.Max(1, workers), items.Count); w++)
            {
                tasks.Add(Task.Factory.StartNew(
                    () =>
                    {
                        try
                        {
                            int i;
                            while ((i = Interlocked.Increment(ref next)) < items.Count)
                            {
                                failed.Token.ThrowIfCancellationRequested();
                                work(items[i]);
                            }
                        }
                        catch
                        {
                            // One failure stops the other workers at their next item.
                            failed.Cancel();
                            throw;
                        }
                    },
                    failed.Token,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default));
            }
        }

        // A fault outranks the cancellations it caused: the first real exception is what is thrown.
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }
}
