using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.KubeApi.Json;

namespace Talm.KubeApi.Storage;

/// <summary>
/// Durable state under a data directory: <c>snapshot.jsonl</c> (all objects at one resourceVersion) plus
/// <c>wal.jsonl</c> (every later write, one JSON line each). A dedicated thread writes queued records and
/// fsyncs once per batch (group commit), so a write is acknowledged only after it is on disk while many
/// concurrent writes share one fsync.
/// </summary>
public sealed class WriteAheadLog : IDisposable
{
    private const string SnapshotFile = "snapshot.jsonl";
    private const string LogFile = "wal.jsonl";
    private readonly string _dir;
    private readonly object _queueGate = new();
    private List<(byte[] Line, TaskCompletionSource? Done)> _pending = [];
    private readonly Thread _writer;
    private FileStream _log;
    private bool _stopping;

    private WriteAheadLog(string dir, FileStream log)
    {
        _dir = dir;
        _log = log;
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "kubeapi-wal" };
        _writer.Start();
    }

    /// <summary>A recovered record: a put carries the object, a delete only its identity.</summary>
    public sealed record Record(long ResourceVersion, string ResourceKey, string Namespace, string Name, JsonObject? Object);

    /// <summary>Reads the snapshot and the log after it; a torn last line (crash mid-write) is ignored.</summary>
    public static (long ResourceVersion, Dictionary<string, JsonObject> Objects) Load(string dir)
    {
        Directory.CreateDirectory(dir);
        var objects = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        long rv = 0;
        var snapshot = Path.Combine(dir, SnapshotFile);
        if (File.Exists(snapshot))
        {
            foreach (var line in File.ReadLines(snapshot))
            {
                if (line.Length == 0) continue;
                var node = JsonNode.Parse(line)!.AsObject();
                if (node["rv"] is { } head && node.Count == 1)
                {
                    rv = head.GetValue<long>();
                    continue;
                }
                objects[RecordKey(node["r"]!.GetValue<string>(), node["ns"]!.GetValue<string>(), node["name"]!.GetValue<string>())] =
                    node["obj"]!.AsObject();
            }
        }
        var log = Path.Combine(dir, LogFile);
        if (File.Exists(log))
        {
            foreach (var line in File.ReadLines(log))
            {
                JsonObject node;
                try
                {
                    node = JsonNode.Parse(line)!.AsObject();
                }
                catch (JsonException)
                {
                    break;
                }
                var recordRv = node["rv"]!.GetValue<long>();
                if (recordRv <= rv) continue;
                rv = recordRv;
                var key = RecordKey(node["r"]!.GetValue<string>(), node["ns"]!.GetValue<string>(), node["name"]!.GetValue<string>());
                if (node["obj"] is JsonObject obj) objects[key] = obj;
                else objects.Remove(key);
            }
        }
        return (rv, objects);
    }

    public static string RecordKey(string resourceKey, string ns, string name) => resourceKey + "|" + ns + "|" + name;

    /// <summary>Writes a fresh snapshot (atomically, by rename) and starts an empty log after it.</summary>
    public static WriteAheadLog Open(string dir, long rv, IEnumerable<StoredObject> objects)
    {
        Directory.CreateDirectory(dir);
        WriteSnapshot(dir, rv, objects);
        var log = new FileStream(Path.Combine(dir, LogFile), FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        log.Flush(true);
        return new WriteAheadLog(dir, log);
    }

    private static void WriteSnapshot(string dir, long rv, IEnumerable<StoredObject> objects)
    {
        var tmp = Path.Combine(dir, SnapshotFile + ".tmp");
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            fs.Write(Encoding.UTF8.GetBytes($"{{\"rv\":{rv}}}\n"));
            foreach (var o in objects)
            {
                var line = new JsonObject { ["r"] = o.ResourceKey, ["ns"] = o.Namespace, ["name"] = o.Name };
                var head = JsonUtil.Serialize(line);
                fs.Write(head.AsSpan(0, head.Length - 1));
                fs.Write(",\"obj\":"u8);
                fs.Write(o.Json);
                fs.Write("}\n"u8);
            }
            fs.Flush(true);
        }
        File.Move(tmp, Path.Combine(dir, SnapshotFile), overwrite: true);
    }

    /// <summary>Queues a record; called under the store's lock so the log order is the resourceVersion order.</summary>
    public Task Append(long rv, string resourceKey, string ns, string name, byte[]? objectJson)
    {
        var head = JsonUtil.Serialize(new JsonObject { ["rv"] = rv, ["r"] = resourceKey, ["ns"] = ns, ["name"] = name });
        var line = new byte[head.Length - 1 + (objectJson is null ? 0 : objectJson.Length + 7) + 2];
        head.AsSpan(0, head.Length - 1).CopyTo(line);
        var at = head.Length - 1;
        if (objectJson is not null)
        {
            ",\"obj\":"u8.CopyTo(line.AsSpan(at));
            at += 7;
            objectJson.CopyTo(line.AsSpan(at));
            at += objectJson.Length;
        }
        "}\n"u8.CopyTo(line.AsSpan(at));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_queueGate)
        {
            _pending.Add((line, done));
            Monitor.Pulse(_queueGate);
        }
        return done.Task;
    }

    private void WriterLoop()
    {
        while (true)
        {
            List<(byte[] Line, TaskCompletionSource? Done)> batch;
            lock (_queueGate)
            {
                while (_pending.Count == 0 && !_stopping) Monitor.Wait(_queueGate);
                if (_pending.Count == 0 && _stopping) return;
                batch = _pending;
                _pending = [];
            }
            try
            {
                foreach (var (line, _) in batch) _log.Write(line);
                _log.Flush(true);
                foreach (var (_, done) in batch) done?.TrySetResult();
            }
            catch (IOException e)
            {
                foreach (var (_, done) in batch) done?.TrySetException(e);
            }
        }
    }

    /// <summary>On a clean stop, folds the log into a new snapshot so the next start reads one file.</summary>
    public void Compact(long rv, IEnumerable<StoredObject> objects)
    {
        Stop();
        WriteSnapshot(_dir, rv, objects);
        _log.Dispose();
        _log = new FileStream(Path.Combine(_dir, LogFile), FileMode.Create, FileAccess.Write, FileShare.Read);
        _log.Flush(true);
    }

    private void Stop()
    {
        lock (_queueGate)
        {
            _stopping = true;
            Monitor.Pulse(_queueGate);
        }
        _writer.Join();
    }

    public void Dispose()
    {
        if (_writer.IsAlive) Stop();
        _log.Dispose();
    }
}
