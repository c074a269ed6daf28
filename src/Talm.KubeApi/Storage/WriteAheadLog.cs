using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using Talm.KubeApi.Json;

namespace Talm.KubeApi.Storage;

/// <summary>
/// Durable state under a data directory: <c>snapshot.jsonl</c> (all objects at one resourceVersion) plus
/// <c>wal.jsonl</c> (every later write, one JSON line each, sealed with a CRC, see <see cref="RecordLines"/>).
/// Each record reaches the file as it is made; a dedicated thread fsyncs once per batch (group commit),
/// so a write is acknowledged only after it is on disk while many concurrent writes share one fsync.
/// </summary>
public sealed class WriteAheadLog : IDisposable
{
    private const string SnapshotFile = "snapshot.jsonl";
    private const string LogFile = "wal.jsonl";
    private readonly string _dir;
    private readonly object _queueGate = new();
    private List<TaskCompletionSource> _pending = [];
    private readonly Thread _writer;
    private SafeFileHandle _log;
    private long _logLength;
    private IOException? _failed;
    private bool _stopping;
    private bool _writing;

    /// <summary>Records appended since the last snapshot; the store rotates the log when it grows large.</summary>
    public long RecordsSinceSnapshot { get; private set; }

    private WriteAheadLog(string dir, SafeFileHandle log)
    {
        _dir = dir;
        _log = log;
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "kubeapi-wal" };
        _writer.Start();
    }

    /// <summary>What a start found in the data directory.</summary>
    public sealed record Loaded(long ResourceVersion, Dictionary<string, JsonObject> Objects, int TornTailBytes);

    /// <summary>The data directory's format: 2 seals every line with a CRC; 1 (no CRC) is still read.</summary>
    private const int Format = 2;

    /// <summary>Records hold an object one level down, so they are read one level deeper than bodies.</summary>
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = JsonUtil.MaxDepth + 1 };

    /// <summary>
    /// Reads the snapshot and the log after it. Only a torn tail is tolerated: a last log line that no
    /// newline ended (a crash mid-append, never acknowledged) is left out. Any other damage (a line that
    /// does not parse or whose CRC does not match, a missing record, a damaged snapshot) throws
    /// <see cref="InvalidDataException"/> naming the file and line, and nothing is changed on disk.
    /// </summary>
    public static Loaded Load(string dir)
    {
        Directory.CreateDirectory(dir);
        var objects = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var snapshot = Path.Combine(dir, SnapshotFile);
        var log = Path.Combine(dir, LogFile);
        if (!File.Exists(snapshot))
        {
            if (File.Exists(log) && new FileInfo(log).Length > 0)
                throw Damaged(dir, SnapshotFile, 0, $"is missing while {LogFile} holds records written after it");
            return new Loaded(0, objects, 0);
        }
        var (rv, format) = LoadSnapshot(dir, snapshot, objects);
        var torn = 0;
        if (File.Exists(log))
        {
            var number = 0;
            long last = 0;
            foreach (var (line, terminated) in RecordLines.Read(log))
            {
                number++;
                JsonObject node;
                try
                {
                    node = ParseLine(line, format);
                }
                catch (InvalidDataException e)
                {
                    if (terminated) throw Damaged(dir, LogFile, number, e.Message);
                    // A crash during an append leaves part of a record that was never acknowledged.
                    torn = line.Length;
                    break;
                }
                var recordRv = Long(node, "rv", dir, LogFile, number);
                if (recordRv <= rv)
                {
                    // A rotation that crashed between the new snapshot and emptying the log leaves records it covers.
                    if (last > 0) throw Damaged(dir, LogFile, number, $"has resourceVersion {recordRv} after {last}: records are out of order");
                    continue;
                }
                // Every write takes the next resourceVersion and is logged, so the log has no gaps.
                if (recordRv != rv + 1)
                    throw Damaged(dir, LogFile, number, $"has resourceVersion {recordRv} where {rv + 1} was expected: records are missing");
                rv = last = recordRv;
                var key = RecordKey(Str(node, "r", dir, LogFile, number), Str(node, "ns", dir, LogFile, number), Str(node, "name", dir, LogFile, number));
                if (node["obj"] is JsonObject obj) objects[key] = obj;
                else objects.Remove(key);
            }
        }
        return new Loaded(rv, objects, torn);
    }

    private static (long Rv, int Format) LoadSnapshot(string dir, string path, Dictionary<string, JsonObject> objects)
    {
        long rv = -1;
        var format = 1;
        long? expected = null;
        var number = 0;
        foreach (var (line, terminated) in RecordLines.Read(path))
        {
            number++;
            // The snapshot is written whole and renamed into place: nothing in it may be torn.
            if (!terminated) throw Damaged(dir, SnapshotFile, number, "is cut short (no newline ends it)");
            if (number == 1)
            {
                var head = ParseLine(line, line.AsSpan().IndexOf(",\"crc\":"u8) >= 0 ? Format : 1, dir, SnapshotFile, number);
                rv = Long(head, "rv", dir, SnapshotFile, number);
                format = head["format"] is null ? 1 : (int)Long(head, "format", dir, SnapshotFile, number);
                if (format > Format)
                    throw new InvalidDataException($"the data directory {dir} was written by a newer talm (format {format}; this one reads up to {Format}): use that talm or a newer one");
                expected = head["objects"] is null ? null : Long(head, "objects", dir, SnapshotFile, number);
                continue;
            }
            var node = ParseLine(line, format, dir, SnapshotFile, number);
            objects[RecordKey(Str(node, "r", dir, SnapshotFile, number), Str(node, "ns", dir, SnapshotFile, number), Str(node, "name", dir, SnapshotFile, number))] =
                node["obj"] as JsonObject ?? throw Damaged(dir, SnapshotFile, number, "holds no object");
        }
        if (rv < 0) throw Damaged(dir, SnapshotFile, 1, "has no header line");
        if (expected is { } count && count != number - 1)
            throw Damaged(dir, SnapshotFile, number, $"holds {number - 1} objects where its header announces {count}");
        return (rv, format);
    }

    private static JsonObject ParseLine(byte[] line, int format, string dir, string file, int number)
    {
        try
        {
            return ParseLine(line, format);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(dir, file, number, e.Message);
        }
    }

    /// <summary>One line as an object, its CRC checked (format 2); throws <see cref="InvalidDataException"/> saying what is wrong.</summary>
    private static JsonObject ParseLine(byte[] line, int format)
    {
        if (format >= 2)
        {
            var (hasCrc, matches) = RecordLines.Check(line);
            if (!hasCrc) throw new InvalidDataException("has no checksum");
            if (!matches) throw new InvalidDataException("does not match its checksum");
        }
        try
        {
            return JsonNode.Parse(line, documentOptions: ReadOptions) as JsonObject ?? throw new InvalidDataException("is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"is not valid JSON ({e.Message})");
        }
    }

    private static long Long(JsonObject node, string name, string dir, string file, int number) =>
        node[name] is JsonValue v && v.TryGetValue<long>(out var l) ? l : throw Damaged(dir, file, number, $"has no \"{name}\" number");

    private static string Str(JsonObject node, string name, string dir, string file, int number) =>
        node[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Damaged(dir, file, number, $"has no \"{name}\" string");

    private static InvalidDataException Damaged(string dir, string file, int line, string what) =>
        new($"the data directory {dir} is damaged: {file}{(line > 0 ? $" line {line}" : "")} {what}. Nothing was changed and the server " +
            "does not start, since starting would drop acknowledged writes. Restore the directory from a copy, or move it aside to start " +
            $"empty{(file == LogFile && line > 1 ? $", or keep only the {line - 1} lines of {file} before the damaged one to start with the writes they hold" : "")}.");

    public static string RecordKey(string resourceKey, string ns, string name) => resourceKey + "|" + ns + "|" + name;

    /// <summary>Writes a fresh snapshot (atomically, by rename) and starts an empty log after it.</summary>
    public static WriteAheadLog Open(string dir, long rv, IReadOnlyCollection<StoredObject> objects)
    {
        Directory.CreateDirectory(dir);
        WriteSnapshot(dir, rv, objects);
        return new WriteAheadLog(dir, EmptyLog(dir));
    }

    /// <summary>Empties the log, only once the snapshot that covers it is durably in place.</summary>
    private static SafeFileHandle EmptyLog(string dir)
    {
        var log = File.OpenHandle(Path.Combine(dir, LogFile), FileMode.Create, FileAccess.Write, FileShare.Read);
        RandomAccess.FlushToDisk(log);
        return log;
    }

    private static void WriteSnapshot(string dir, long rv, IReadOnlyCollection<StoredObject> objects)
    {
        var tmp = Path.Combine(dir, SnapshotFile + ".tmp");
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var line = new ArrayBufferWriter<byte>(4096);
            line.Write(Encoding.UTF8.GetBytes($"{{\"rv\":{rv},\"format\":{Format},\"objects\":{objects.Count}"));
            RecordLines.Seal(line);
            fs.Write(line.WrittenSpan);
            foreach (var o in objects)
            {
                line.ResetWrittenCount();
                var head = JsonUtil.Serialize(new JsonObject { ["r"] = o.ResourceKey, ["ns"] = o.Namespace, ["name"] = o.Name });
                line.Write(head.AsSpan(0, head.Length - 1));
                line.Write(",\"obj\":"u8);
                line.Write(o.Json);
                RecordLines.Seal(line);
                fs.Write(line.WrittenSpan);
            }
            fs.Flush(true);
        }
        File.Move(tmp, Path.Combine(dir, SnapshotFile), overwrite: true);
        DirectorySync.Fsync(dir);
    }

    /// <summary>
    /// Writes a record to the log file at once (so a crash of this process, which keeps what the kernel
    /// holds, cannot lose a write that readers and watchers may already have seen) and queues its fsync;
    /// the task completes once the record is on disk. Called under the store's lock, so the log order is
    /// the resourceVersion order. After a failed write every later one fails too: nothing is written past
    /// a gap.
    /// </summary>
    public Task Append(long rv, string resourceKey, string ns, string name, byte[]? objectJson)
    {
        var head = JsonUtil.Serialize(new JsonObject { ["rv"] = rv, ["r"] = resourceKey, ["ns"] = ns, ["name"] = name });
        var buffer = new ArrayBufferWriter<byte>(head.Length + (objectJson?.Length ?? 0) + 32);
        buffer.Write(head.AsSpan(0, head.Length - 1));
        if (objectJson is not null)
        {
            buffer.Write(",\"obj\":"u8);
            buffer.Write(objectJson);
        }
        RecordLines.Seal(buffer);
        if (_failed is not null) return Task.FromException(_failed);
        try
        {
            RandomAccess.Write(_log, buffer.WrittenSpan, _logLength);
            _logLength += buffer.WrittenCount;
        }
        catch (IOException e)
        {
            _failed = e;
            return Task.FromException(e);
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_queueGate)
        {
            _pending.Add(done);
            RecordsSinceSnapshot++;
            Monitor.PulseAll(_queueGate);
        }
        return done.Task;
    }

    /// <summary>Group commit: one fsync for every record written since the last one.</summary>
    private void WriterLoop()
    {
        while (true)
        {
            List<TaskCompletionSource> batch;
            lock (_queueGate)
            {
                while (_pending.Count == 0 && !_stopping) Monitor.Wait(_queueGate);
                if (_pending.Count == 0 && _stopping) return;
                batch = _pending;
                _pending = [];
                _writing = true;
            }
            try
            {
                RandomAccess.FlushToDisk(_log);
                foreach (var done in batch) done.TrySetResult();
            }
            catch (IOException e)
            {
                foreach (var done in batch) done.TrySetException(e);
            }
            lock (_queueGate)
            {
                _writing = false;
                Monitor.PulseAll(_queueGate);
            }
        }
    }

    /// <summary>
    /// Folds the log into a new snapshot while running. The caller holds the store lock (no new appends);
    /// queued records are written first, so the snapshot covers everything the old log held.
    /// </summary>
    public void Rotate(long rv, IReadOnlyCollection<StoredObject> objects)
    {
        lock (_queueGate)
        {
            while (_pending.Count > 0 || _writing) Monitor.Wait(_queueGate);
            WriteSnapshot(_dir, rv, objects);
            _log.Dispose();
            (_log, _logLength) = (EmptyLog(_dir), 0);
            RecordsSinceSnapshot = 0;
        }
    }

    /// <summary>On a clean stop, folds the log into a new snapshot so the next start reads one file.</summary>
    public void Compact(long rv, IReadOnlyCollection<StoredObject> objects)
    {
        Stop();
        WriteSnapshot(_dir, rv, objects);
        _log.Dispose();
        (_log, _logLength) = (EmptyLog(_dir), 0);
    }

    private void Stop()
    {
        lock (_queueGate)
        {
            _stopping = true;
            Monitor.PulseAll(_queueGate);
        }
        _writer.Join();
    }

    public void Dispose()
    {
        if (_writer.IsAlive) Stop();
        _log.Dispose();
    }
}
