namespace Talm.Recovery.Backup;

/// <summary>
/// Runs blocking file work on dedicated threads, several lanes at once, each lane with its own
/// worker count. The thread pool would add threads for blocking work only slowly (it starts at
/// one per core), so asking it for 16 concurrent blocking copies does not give 16.
/// </summary>
internal static class Workers
{
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
