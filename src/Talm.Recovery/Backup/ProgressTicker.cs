namespace Talm.Recovery.Backup;

/// <summary>Reads <see cref="ProgressCounters"/> on a timer and hands readings to the reporter.</summary>
public sealed class ProgressTicker : IDisposable
{
    private readonly ProgressCounters _counters;
    private readonly IBackupProgressReporter _reporter;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();

    public ProgressTicker(ProgressCounters counters, IBackupProgressReporter reporter, TimeProvider time, TimeSpan period)
    {
        _counters = counters;
        _reporter = reporter;
        _time = time;
        _start = time.GetTimestamp();
        _timer = time.CreateTimer(_ => Tick(), null, period, period);
    }

    public void Tick()
    {
        lock (_gate)
        {
            var elapsed = _time.GetElapsedTime(_start);
            var done = _counters.BytesDone;
            var total = Math.Max(_counters.BytesTotal, done);
            var rate = elapsed.TotalSeconds > 0.05 ? done / elapsed.TotalSeconds : 0;
            TimeSpan? eta = rate > 0 && total > 0 ? TimeSpan.FromSeconds((total - done) / rate) : null;
            try
            {
                _reporter.Report(new BackupProgress(_counters.Phase, done, total, _counters.FilesDone, Math.Max(_counters.FilesTotal, _counters.FilesDone), rate, eta, elapsed));
            }
#pragma warning disable CA1031 // progress display is best effort: it must never fail the backup
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Tick();
    }
}
