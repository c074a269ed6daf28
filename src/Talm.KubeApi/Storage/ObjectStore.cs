using System.Globalization;
using System.Text.Json.Nodes;
using Talm.KubeApi.Json;

namespace Talm.KubeApi.Storage;

/// <summary>
/// All objects of all resources, one global resourceVersion counter (like etcd's revision), a window of
/// recent events for watches that resume, and the open watches. Every write runs under one lock so events
/// reach watchers in resourceVersion order; the optional write-ahead log makes writes durable.
/// </summary>
public sealed class ObjectStore : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _data = new(StringComparer.Ordinal);
    private readonly Queue<StoreEvent> _window = new();
    private readonly int _windowSize;
    private readonly Dictionary<string, List<WatchSubscription>> _watchers = new(StringComparer.Ordinal);
    private readonly WriteAheadLog? _wal;
    private long _rv;
    private long _compactedRv;

    private readonly long _rotateAfterRecords;

    /// <param name="firstResourceVersion">
    /// Where an in-memory store's versions start (ignored with a data directory, whose versions go on from
    /// the stored ones). The server passes its start time in microseconds, so that a client of an earlier
    /// run never resumes from a version this run issues again for something else: it gets 410 and relists.
    /// </param>
    public ObjectStore(int windowSize, string? dataDirectory, long rotateAfterRecords = 200_000, long firstResourceVersion = 0)
    {
        _windowSize = Math.Max(1, windowSize);
        _rotateAfterRecords = Math.Max(1, rotateAfterRecords);
        if (dataDirectory is null)
        {
            _rv = _compactedRv = Math.Max(0, firstResourceVersion);
            return;
        }
        var (rv, objects, torn) = WriteAheadLog.Load(dataDirectory);
        TornTailBytes = torn;
        foreach (var obj in objects)
        {
            var parts = obj.Key.Split('|');
            var stored = new StoredObject(parts[0], parts[1], parts[2], obj.Value, JsonUtil.Serialize(obj.Value),
                long.Parse(JsonUtil.MetaStr(obj.Value, "resourceVersion") ?? "0", CultureInfo.InvariantCulture));
            Bucket(parts[0])[StoredObject.Key(parts[1], parts[2])] = stored;
        }
        _rv = rv;
        // Events before a restart are gone: a watch resuming from an older version must relist (410).
        _compactedRv = rv;
        _wal = WriteAheadLog.Open(dataDirectory, rv, AllObjects());
    }

    /// <summary>Bytes of a torn last log record (a crash mid-append, never acknowledged) left out at start.</summary>
    public int TornTailBytes { get; }

    public long CurrentResourceVersion
    {
        get
        {
            lock (_gate) return _rv;
        }
    }

    private SortedDictionary<string, StoredObject> Bucket(string resourceKey)
    {
        if (!_data.TryGetValue(resourceKey, out var bucket))
        {
            bucket = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            _data[resourceKey] = bucket;
        }
        return bucket;
    }

    private List<StoredObject> AllObjects() => _data.Values.SelectMany(b => b.Values).ToList();

    public StoredObject? Get(string resourceKey, string ns, string name)
    {
        lock (_gate)
        {
            return _data.TryGetValue(resourceKey, out var b) && b.TryGetValue(StoredObject.Key(ns, name), out var o) ? o : null;
        }
    }

    /// <summary>A consistent list (in namespace/name order) and the resourceVersion it was taken at.</summary>
    public (List<StoredObject> Items, long ResourceVersion) List(string resourceKey, string? ns)
    {
        lock (_gate)
        {
            var items = _data.TryGetValue(resourceKey, out var b)
                ? (ns is null ? b.Values.ToList() : b.Values.Where(o => o.Namespace == ns).ToList())
                : [];
            return (items, _rv);
        }
    }

    /// <summary>
    /// Reads the current object, lets <paramref name="decide"/> choose what to do, and commits it, all under
    /// the store lock. <paramref name="decide"/> may throw <see cref="ApiException"/> to reject the write.
    /// </summary>
    public WriteResult Write(string resourceKey, string ns, string name, Func<StoredObject?, Mutation> decide, bool dryRun = false)
    {
        lock (_gate)
        {
            var bucket = Bucket(resourceKey);
            var key = StoredObject.Key(ns, name);
            bucket.TryGetValue(key, out var current);
            var mutation = decide(current);
            if (mutation.Kind == MutationKind.Keep) return new WriteResult(current, false, null, Task.CompletedTask);
            // Only a JSON patch can build an object deeper than the body it came in; nothing deeper is kept.
            if (mutation.Kind == MutationKind.Put && JsonUtil.Depth(mutation.Node) > JsonUtil.MaxDepth)
                throw ApiException.BadRequest($"the object would be nested deeper than {JsonUtil.MaxDepth} levels");
            if (dryRun)
            {
                // Everything a real write would check has run; nothing is stored, logged or published.
                var preview = mutation.Node!;
                var previewRv = current?.ResourceVersion ?? 0;
                if (current is null) JsonUtil.Metadata(preview).Remove("resourceVersion");
                return new WriteResult(new StoredObject(resourceKey, ns, name, preview, JsonUtil.Serialize(preview), previewRv), false,
                    mutation.Kind == MutationKind.Delete ? StoreEventType.Deleted : current is null ? StoreEventType.Added : StoreEventType.Modified,
                    Task.CompletedTask);
            }
            var rv = ++_rv;
            var node = mutation.Node!;
            JsonUtil.Metadata(node)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
            var stored = new StoredObject(resourceKey, ns, name, node, JsonUtil.Serialize(node), rv);
            StoreEventType type;
            Task durable;
            if (mutation.Kind == MutationKind.Delete)
            {
                bucket.Remove(key);
                type = StoreEventType.Deleted;
                durable = _wal?.Append(rv, resourceKey, ns, name, null) ?? Task.CompletedTask;
            }
            else
            {
                bucket[key] = stored;
                type = current is null ? StoreEventType.Added : StoreEventType.Modified;
                durable = _wal?.Append(rv, resourceKey, ns, name, stored.Json) ?? Task.CompletedTask;
            }
            Publish(new StoreEvent(rv, type, stored, current));
            if (_wal is not null && _wal.RecordsSinceSnapshot >= _rotateAfterRecords)
            {
                // Keeps the log (and the next start's replay) bounded; the durable task already
                // completes once the record is in the old log, which the new snapshot supersedes.
                _wal.Rotate(_rv, AllObjects());
            }
            return new WriteResult(stored, true, type, durable);
        }
    }

    private void Publish(StoreEvent e)
    {
        _window.Enqueue(e);
        while (_window.Count > _windowSize) _compactedRv = _window.Dequeue().ResourceVersion;
        if (_watchers.TryGetValue(e.Object.ResourceKey, out var subs))
        {
            List<WatchSubscription>? overflowed = null;
            foreach (var sub in subs)
            {
                if (!sub.Accepts(e.Object)) continue;
                if (sub.Events.Reader.Count >= Math.Max(_windowSize, 100_000))
                {
                    // A watcher this far behind could not resume anyway; end its stream (it relists)
                    // rather than buffer without bound, as the real API server does with slow watchers.
                    (overflowed ??= []).Add(sub);
                    continue;
                }
                sub.Events.Writer.TryWrite(e);
            }
            foreach (var sub in overflowed ?? [])
            {
                subs.Remove(sub);
                sub.Events.Writer.TryComplete();
            }
        }
    }

    /// <summary>
    /// Opens a watch. Without <paramref name="fromResourceVersion"/> the current objects come first as ADDED
    /// events; with it, every retained event after it is replayed; a version older than the window is 410 Gone,
    /// one newer than the store's is 504 "Too large resource version".
    /// </summary>
    public WatchSubscription Subscribe(string resourceKey, string? ns, long? fromResourceVersion, out long startResourceVersion)
    {
        lock (_gate)
        {
            var sub = new WatchSubscription(resourceKey, ns);
            if (fromResourceVersion is not { } from)
            {
                if (_data.TryGetValue(resourceKey, out var bucket))
                {
                    foreach (var o in bucket.Values.Where(sub.Accepts))
                    {
                        sub.Events.Writer.TryWrite(new StoreEvent(o.ResourceVersion, StoreEventType.Added, o, null));
                    }
                }
            }
            else
            {
                // No watch cache lags behind here (the real server waits up to 3 s for its cache first):
                // a version beyond the newest was never issued by this store, e.g. it restarted without its data.
                if (from > _rv) throw ApiException.TooLargeResourceVersion(from, _rv);
                if (from < _compactedRv)
                {
                    throw ApiException.Gone(
                        $"too old resource version: {from} ({_compactedRv + 1})");
                }
                foreach (var e in _window)
                {
                    if (e.ResourceVersion > from && e.Object.ResourceKey == resourceKey && sub.Accepts(e.Object))
                        sub.Events.Writer.TryWrite(e);
                }
            }
            if (!_watchers.TryGetValue(resourceKey, out var subs))
            {
                subs = [];
                _watchers[resourceKey] = subs;
            }
            subs.Add(sub);
            startResourceVersion = _rv;
            return sub;
        }
    }

    public void Unsubscribe(WatchSubscription sub)
    {
        lock (_gate)
        {
            if (_watchers.TryGetValue(sub.ResourceKey, out var subs)) subs.Remove(sub);
            sub.Events.Writer.TryComplete();
        }
    }

    public int WatcherCount
    {
        get
        {
            lock (_gate) return _watchers.Values.Sum(l => l.Count);
        }
    }

    /// <summary>Ends every open watch (their streams finish; clients re-watch elsewhere or later).</summary>
    public void CloseWatches()
    {
        lock (_gate)
        {
            foreach (var sub in _watchers.Values.SelectMany(s => s)) sub.Events.Writer.TryComplete();
            _watchers.Clear();
        }
    }

    public void Dispose()
    {
        CloseWatches();
        lock (_gate)
        {
            _wal?.Compact(_rv, AllObjects());
            _wal?.Dispose();
        }
    }
}
