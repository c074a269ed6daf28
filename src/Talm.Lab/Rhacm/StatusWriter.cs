using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Talm.Api.Meta;
using Talm.Lab.Hub;

namespace Talm.Lab.Rhacm;

/// <summary>
/// Keeps the status of hub objects equal to what the simulation wants, writing each object's latest
/// wanted status once (intermediate wishes are coalesced), as a merge patch against what was last
/// written, from a few writers in parallel. Writes for one object never overlap.
/// </summary>
internal sealed class StatusWriter
{
    private sealed class Entry(KindInfo kind, string ns, string name)
    {
        public KindInfo Kind { get; } = kind;
        public string Ns { get; } = ns;
        public string Name { get; } = name;
        public string Uid { get; set; } = "";
        public JsonObject? Written { get; set; }
        public JsonObject? Pending { get; set; }
        public bool Queued { get; set; }
    }

    private readonly HubClient _hub;
    private readonly ILogger _log;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>();
    private long _writes;

    public StatusWriter(HubClient hub, ILogger log)
    {
        _hub = hub;
        _log = log;
    }

    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Raised after a status write succeeded, with the full status now on the hub.</summary>
    public event Action<KindInfo, string, string, JsonObject>? Written;

    /// <summary>Wants <paramref name="status"/> on the object (identified by uid, so a re-created object starts afresh).</summary>
    public void Set(KindInfo kind, string ns, string name, string uid, JsonObject status)
    {
        var key = Key(kind, ns, name);
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out var e))
            {
                e = new Entry(kind, ns, name);
                _entries[key] = e;
            }
            if (e.Uid != uid)
            {
                e.Uid = uid;
                e.Written = null;
            }
            e.Pending = status;
            if (e.Queued) return;
            e.Queued = true;
            _queue.Writer.TryWrite(e);
        }
    }

    /// <summary>The object's status as the hub holds it (for an object seen on a watch before we wrote it).</summary>
    public void Observed(KindInfo kind, string ns, string name, string uid, JsonObject? status)
    {
        var key = Key(kind, ns, name);
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var e))
            {
                if (e.Uid == uid) return;
                // The same entry for a re-created object: one writer per name, so a write still in flight
                // for the old object cannot race one for the new; and no baseline, so the next write replaces.
                e.Uid = uid;
                e.Written = null;
                return;
            }
            _entries[key] = new Entry(kind, ns, name) { Uid = uid, Written = (JsonObject?)status?.DeepClone() };
        }
    }

    public void Forget(KindInfo kind, string ns, string name, string uid)
    {
        lock (_entries)
        {
            var key = Key(kind, ns, name);
            if (_entries.TryGetValue(key, out var e) && e.Uid == uid && !e.Queued) _entries.Remove(key);
        }
    }

    public Task RunAsync(int writers, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(_ => WriterLoop(ct)));

    private async Task WriterLoop(CancellationToken ct)
    {
        await foreach (var e in _queue.Reader.ReadAllAsync(ct))
        {
            JsonObject want;
            JsonObject? written;
            string uid;
            lock (_entries)
            {
                want = e.Pending!;
                written = e.Written;
                uid = e.Uid;
                e.Pending = null;
            }
            // Against a known earlier status, only what changed; otherwise the whole status replaced, so
            // nothing of an unknown earlier one (a write for a deleted object of the same name) is kept.
            var patch = written is null ? want : Json.MergePatch(written, want);
            var ok = true;
            if (patch.Count > 0)
            {
                try
                {
                    ok = written is null
                        ? await _hub.ReplaceStatusAsync(e.Kind, e.Ns, e.Name, want, ct)
                        : await _hub.PatchStatusAsync(e.Kind, e.Ns, e.Name, patch, ct);
                    Interlocked.Increment(ref _writes);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    _log.LogWarning(ex, "Status write for {Kind} {Namespace}/{Name} failed; retrying", e.Kind.Kind, e.Ns, e.Name);
                    await Task.Delay(500, ct);
                    lock (_entries)
                    {
                        e.Pending ??= want;
                        _queue.Writer.TryWrite(e);
                    }
                    continue;
                }
            }
            lock (_entries)
            {
                if (ok && e.Uid == uid) e.Written = want;
                if (e.Pending is not null) _queue.Writer.TryWrite(e);
                else e.Queued = false;
            }
            if (ok && patch.Count > 0) Written?.Invoke(e.Kind, e.Ns, e.Name, want);
        }
    }

    private static string Key(KindInfo kind, string ns, string name) => kind.Plural + "/" + ns + "/" + name;
}
