using Talm.Operator.Metrics;

namespace Talm.Operator.Queue;

/// <summary>
/// A deduplicating queue of reconcile keys, shaped like client-go's workqueue: a key waits at most
/// once; a key being processed is never handed out again until <see cref="Done"/>, and if it was
/// added meanwhile it goes back in line then. Delayed adds and per-key exponential backoff use the
/// given <see cref="TimeProvider"/>, so tests drive them with a fake clock.
/// </summary>
public sealed class WorkQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _addedAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset Due, long Id, ITimer Timer)> _waiting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TimeProvider _time;
    private readonly Backoff _backoff;
    private readonly WorkQueueMetrics? _metrics;
    private long _schedules;

    public WorkQueue(string name, TimeProvider time, Backoff? backoff = null, WorkQueueMetrics? metrics = null)
    {
        Name = name;
        _time = time;
        _backoff = backoff ?? Backoff.Default;
        _metrics = metrics;
        _metrics?.Register(this);
    }

    public string Name { get; }

    /// <summary>Keys waiting to be handed out (not counting delayed or in-flight ones).</summary>
    public int Depth
    {
        get { lock (_gate) return _queue.Count; }
    }

    /// <summary>Keys scheduled for later by <see cref="AddAfter"/> or <see cref="AddRateLimited"/>.</summary>
    public int Delayed
    {
        get { lock (_gate) return _waiting.Count; }
    }

    public bool IsShutDown => _shutdown.IsCancellationRequested;

    public void Add(string key)
    {
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested || !_dirty.Add(key)) return;
            _metrics?.Added(Name);
            _addedAt[key] = _time.GetTimestamp();
            if (_processing.ContainsKey(key)) return; // re-queued by Done
            _queue.Enqueue(key);
        }
        _available.Release();
    }

    /// <summary>Adds the key after <paramref name="delay"/>; an earlier pending schedule wins.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested) return;
            var due = _time.GetUtcNow() + delay;
            if (_waiting.TryGetValue(key, out var existing))
            {
                if (existing.Due <= due) return;
                existing.Timer.Dispose();
            }
            var id = ++_schedules;
            var timer = _time.CreateTimer(static state =>
            {
                var (queue, k, scheduled) = ((WorkQueue, string, long))state!;
                queue.FireDelayed(k, scheduled);
            }, (this, key, id), delay, Timeout.InfiniteTimeSpan);
            _waiting[key] = (due, id, timer);
        }
    }

    /// <summary>Adds the key after its exponential backoff; each call counts one more failure.</summary>
    public void AddRateLimited(string key)
    {
        TimeSpan delay;
        lock (_gate)
        {
            var failures = _failures.GetValueOrDefault(key) + 1;
            _failures[key] = failures;
            delay = _backoff.DelayFor(failures);
        }
        _metrics?.Retried(Name);
        AddAfter(key, delay);
    }

    /// <summary>Clears the key's failure count (after a successful reconcile).</summary>
    public void Forget(string key)
    {
        lock (_gate) _failures.Remove(key);
    }

    public int Failures(string key)
    {
        lock (_gate) return _failures.GetValueOrDefault(key);
    }

    /// <summary>Waits for a key; returns null once the queue is shut down.</summary>
    public async Task<string?> GetAsync(CancellationToken cancel)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _shutdown.Token);
        try
        {
            await _available.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            return null;
        }
        lock (_gate)
        {
            var key = _queue.Dequeue();
            _dirty.Remove(key);
            var now = _time.GetTimestamp();
            _processing[key] = now;
            if (_addedAt.Remove(key, out var added))
                _metrics?.Waited(Name, _time.GetElapsedTime(added, now));
            return key;
        }
    }

    /// <summary>Marks the key processed; if it was added meanwhile it goes back in line.</summary>
    public void Done(string key)
    {
        bool requeue;
        lock (_gate)
        {
            if (!_processing.Remove(key, out var started)) return;
            _metrics?.Worked(Name, _time.GetElapsedTime(started));
            requeue = _dirty.Contains(key) && !_shutdown.IsCancellationRequested;
            if (requeue) _queue.Enqueue(key);
        }
        if (requeue) _available.Release();
    }

    /// <summary>Seconds the longest running key and all running keys have been in process.</summary>
    public (double Longest, double Total) InFlightSeconds()
    {
        lock (_gate)
        {
            double longest = 0, total = 0;
            foreach (var started in _processing.Values)
            {
                var s = _time.GetElapsedTime(started).TotalSeconds;
                total += s;
                longest = Math.Max(longest, s);
            }
            return (longest, total);
        }
    }

    public void ShutDown()
    {
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested) return;
            _shutdown.Cancel();
            foreach (var (_, _, timer) in _waiting.Values) timer.Dispose();
            _waiting.Clear();
        }
    }

    public void Dispose()
    {
        ShutDown();
        _metrics?.Unregister(this);
        _shutdown.Dispose();
        _available.Dispose();
    }

    private void FireDelayed(string key, long scheduled)
    {
        lock (_gate)
        {
            // A replaced schedule may still fire; only the current one counts.
            if (!_waiting.TryGetValue(key, out var entry) || entry.Id != scheduled) return;
            _waiting.Remove(key);
            entry.Timer.Dispose();
        }
        Add(key);
    }
}
