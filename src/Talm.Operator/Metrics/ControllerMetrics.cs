using System.Diagnostics.Metrics;

namespace Talm.Operator.Metrics;

/// <summary>
/// controller-runtime's reconcile metrics, plus the backup outcomes this operator adds. One per
/// process; the <see cref="Meter"/> is what the Prometheus exporter listens to.
/// </summary>
public sealed class ControllerMetrics : IDisposable
{
    public const string MeterName = "Talm.Operator";
    public const string Controller = "clustergroupupgrade";

    private static readonly double[] ReconcileBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
         1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];

    private static readonly double[] BackupDurationBuckets = [30, 60, 120, 180, 240, 300, 360, 420, 480, 600, 900, 1200];

    private readonly Counter<long> _reconciles;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _reconcileTime;
    private readonly Counter<long> _backups;
    private readonly Histogram<double> _backupDuration;
    private readonly Counter<long> _statusConflicts;
    private int _activeWorkers;
    private int _maxWorkers;

    public ControllerMetrics(string? meterName = null)
    {
        // A distinct meter name per instance keeps parallel tests from seeing each other's numbers.
        Meter = new Meter(meterName ?? MeterName);
        Queue = new WorkQueueMetrics(Meter);
        _reconciles = Meter.CreateCounter<long>("controller_runtime_reconcile_total",
            description: "Total number of reconciliations per controller");
        _errors = Meter.CreateCounter<long>("controller_runtime_reconcile_errors_total",
            description: "Total number of reconciliation errors per controller");
        _reconcileTime = Meter.CreateHistogram("controller_runtime_reconcile_time_seconds", unit: "s",
            description: "Length of time per reconciliation per controller",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ReconcileBuckets });
        Meter.CreateObservableGauge("controller_runtime_active_workers", () => new Measurement<int>(Volatile.Read(ref _activeWorkers), ControllerTag),
            description: "Number of currently used workers per controller");
        Meter.CreateObservableGauge("controller_runtime_max_concurrent_reconciles", () => new Measurement<int>(Volatile.Read(ref _maxWorkers), ControllerTag),
            description: "Maximum number of concurrent reconciles per controller");
        _backups = Meter.CreateCounter<long>("talm_backup_total",
            description: "Cluster backups that reached a final state, by state (Succeeded, BackupTimeout, UnrecoverableError)");
        _backupDuration = Meter.CreateHistogram("talm_backup_duration_seconds", unit: "s",
            description: "Backup duration reported by the spoke agent",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = BackupDurationBuckets });
        _statusConflicts = Meter.CreateCounter<long>("talm_status_update_conflicts_total",
            description: "Status writes refused with 409 Conflict and retried");
    }

    public Meter Meter { get; }
    public WorkQueueMetrics Queue { get; }

    private static KeyValuePair<string, object?> ControllerTag => new("controller", Controller);

    /// <summary>result: success, error, requeue or requeue_after (controller-runtime's labels).</summary>
    public void Reconciled(string result, TimeSpan took)
    {
        _reconciles.Add(1, ControllerTag, new("result", result));
        if (result == "error") _errors.Add(1, ControllerTag);
        _reconcileTime.Record(took.TotalSeconds, ControllerTag);
    }

    public void BackupFinished(string state) => _backups.Add(1, new KeyValuePair<string, object?>("state", state));
    public void BackupDuration(TimeSpan duration) => _backupDuration.Record(duration.TotalSeconds);
    public void StatusConflict() => _statusConflicts.Add(1, ControllerTag);
    public void WorkerStarted() => Interlocked.Increment(ref _activeWorkers);
    public void WorkerStopped() => Interlocked.Decrement(ref _activeWorkers);
    public void SetMaxWorkers(int workers) => Volatile.Write(ref _maxWorkers, workers);

    public void Dispose() => Meter.Dispose();
}
