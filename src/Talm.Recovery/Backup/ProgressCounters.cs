namespace Talm.Recovery.Backup;

/// <summary>Thread-safe running totals the copy workers add to and the progress ticker reads.</summary>
public sealed class ProgressCounters
{
    private long _bytesDone;
    private long _filesDone;
    private long _bytesTotal;
    private long _filesTotal;
    private string _phase = "starting";

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    public long FilesDone => Interlocked.Read(ref _filesDone);

    public long BytesTotal => Interlocked.Read(ref _bytesTotal);

    public long FilesTotal => Interlocked.Read(ref _filesTotal);

    public string Phase => Volatile.Read(ref _phase);

    public void SetPhase(string phase) => Volatile.Write(ref _phase, phase);

    public void AddBytes(long bytes) => Interlocked.Add(ref _bytesDone, bytes);

    public void AddFile() => Interlocked.Increment(ref _filesDone);

    public void AddTotals(long bytes, long files)
    {
        Interlocked.Add(ref _bytesTotal, bytes);
        Interlocked.Add(ref _filesTotal, files);
    }
}
