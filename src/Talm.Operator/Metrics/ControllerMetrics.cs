using Prometheus;
using Talm.Api.Build;

namespace Talm.Operator.Metrics;

/// <summary>
/// controller-runtime's reconcile metrics, client-go's leader election status, the backup and CGU
/// outcomes this operator adds, and prometheus-net's process and .NET runtime series, all in one
/// registry per operator (tests run several operators in one process).
/// </summary>
public sealed class ControllerMetrics
{
    public const string Controller = "clustergroupupgrade";

    /// <summary>controller-runtime's buckets for controller_runtime_reconcile_time_seconds.</summary>
    private static readonly double[] ReconcileBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
         1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];

    private static readonly double[] BackupDurationBuckets = [1, 5, 15, 30, 60, 120, 180, 240, 300, 360, 420, 480, 600, 900, 1200];

    /// <summary>1 MiB to 256 GiB, by powers of 4: a single-node backup is a few GiB to a few tens.</summary>
    private static readonly double[] BackupBytesBuckets = Histogram.ExponentialBuckets(1 << 20, 4, 10);

    /// <summary>The phase label of the backup Job's whole run (its status' startTime to its end).</summary>
    public const string JobPhase = "job";

    /// <summary>The results controller-runtime counts under, each present (at 0) from the start.</summary>
    public static readonly IReadOnlyList<string> ReconcileResults = ["success", "error", "requeue", "requeue_after"];

    /// <summary>A backup's final states (the reference's), each present (at 0) from the start.</summary>
    public static readonly IReadOnlyList<string> BackupStates = ["Succeeded", "BackupTimeout", "UnrecoverableError"];

    private readonly Counter _reconciles;
    private readonly Counter.Child _errors;
    private readonly Histogram.Child _reconcileTime;
    private readonly Gauge.Child _activeWorkers;
    private readonly Gauge.Child _maxWorkers;
    private readonly Counter _backups;
    private readonly Histogram _backupDuration;
    private readonly Histogram _backupBytes;
    private readonly Counter.Child _statusConflicts;
    private readonly Counter _cguEvents;
    private readonly Gauge _leader;

    public ControllerMetrics(BuildVersion? build = null)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        // process_* (CPU, memory, threads, open handles, start time) and dotnet_* (GC collections, heap).
        DotNetStats.Register(Registry);
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        string[] controller = ["controller"];
        _reconciles = f.CreateCounter("controller_runtime_reconcile_total", "Total number of reconciliations per controller",
            new CounterConfiguration { LabelNames = ["controller", "result"] });
        foreach (var result in ReconcileResults) _reconciles.WithLabels(Controller, result);
        _errors = f.CreateCounter("controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller",
            new CounterConfiguration { LabelNames = controller }).WithLabels(Controller);
        _reconcileTime = f.CreateHistogram("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller",
            new HistogramConfiguration { LabelNames = controller, Buckets = ReconcileBuckets }).WithLabels(Controller);
        _activeWorkers = f.CreateGauge("controller_runtime_active_workers", "Number of currently used workers per controller",
            new GaugeConfiguration { LabelNames = controller }).WithLabels(Controller);
        _maxWorkers = f.CreateGauge("controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent reconciles per controller",
            new GaugeConfiguration { LabelNames = controller }).WithLabels(Controller);
        _backups = f.CreateCounter("talm_backup_total",
            "Cluster backups that reached a final state, by state (Succeeded, BackupTimeout, UnrecoverableError)",
            new CounterConfiguration { LabelNames = ["state"] });
        foreach (var state in BackupStates) _backups.WithLabels(state);
        _backupDuration = f.CreateHistogram("talm_backup_duration_seconds",
            "Seconds a finished backup took, by phase: job (the backup Job's run), total (the agent's run) and each phase the agent reported (scan, copy, etcd_snapshot, sync, ...)",
            new HistogramConfiguration { LabelNames = ["phase"], Buckets = BackupDurationBuckets });
        _backupBytes = f.CreateHistogram("talm_backup_bytes", "Bytes held by each finished backup, as its agent reported them",
            new HistogramConfiguration { Buckets = BackupBytesBuckets });
        _statusConflicts = f.CreateCounter("talm_status_update_conflicts_total", "Status writes refused with 409 Conflict and retried",
            new CounterConfiguration { LabelNames = controller }).WithLabels(Controller);
        _cguEvents = f.CreateCounter("talm_cgu_events_total",
            "Kubernetes Events recorded about ClusterGroupUpgrades, by type, reason and action (e.g. CguTimedout/RemediationTimeout)",
            new CounterConfiguration { LabelNames = ["type", "reason", "action"] });
        _leader = f.CreateGauge("leader_election_master_status",
            "Whether this replica holds the named lease (1) or not (0), as client-go reports it",
            new GaugeConfiguration { LabelNames = ["name"] });
        build ??= BuildVersion.Current;
        f.CreateGauge("talm_build_info", "The operator's version and the commit it was built from (unknown outside a git checkout); always 1",
            new GaugeConfiguration { LabelNames = ["version", "commit"] }).WithLabels(build.Version, build.Commit ?? "unknown").Set(1);
        Queue = new WorkQueueMetrics(Registry);
    }

    /// <summary>What /metrics renders.</summary>
    public CollectorRegistry Registry { get; }

    public WorkQueueMetrics Queue { get; }

    /// <summary>result: success, error, requeue or requeue_after (controller-runtime's labels).</summary>
    public void Reconciled(string result, TimeSpan took)
    {
        _reconciles.WithLabels(Controller, result).Inc();
        if (result == "error") _errors.Inc();
        _reconcileTime.Observe(took.TotalSeconds);
    }

    public void BackupFinished(string state) => _backups.WithLabels(state).Inc();

    /// <summary>A finished backup's facts: its size, the Job's and the agent's run and each phase.</summary>
    public void BackupFacts(Talm.Api.Cgu.BackupDetails details)
    {
        ArgumentNullException.ThrowIfNull(details);
        if (details.Bytes is { } bytes) _backupBytes.Observe(bytes);
        if (details.JobSeconds is { } job) _backupDuration.WithLabels(JobPhase).Observe(job);
        if (details.DurationSeconds is { } total) _backupDuration.WithLabels("total").Observe(total);
        foreach (var (phase, seconds) in details.Phases ?? [])
            _backupDuration.WithLabels(phase).Observe(seconds);
    }
    public void StatusConflict() => _statusConflicts.Inc();
    public void CguEvent(string type, string reason, string action) => _cguEvents.WithLabels(type, reason, action).Inc();
    public void WorkerStarted() => _activeWorkers.Inc();
    public void WorkerStopped() => _activeWorkers.Dec();
    public void SetMaxWorkers(int workers) => _maxWorkers.Set(workers);
    public void Leading(string lease, bool leading) => _leader.WithLabels(lease).Set(leading ? 1 : 0);

    /// <summary>The Prometheus text exposition format (0.0.4), as a scrape gets it.</summary>
    public async Task<string> RenderAsync(CancellationToken cancel = default)
    {
        using var buffer = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(buffer, cancel).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public string Render() => RenderAsync().GetAwaiter().GetResult();

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
}
