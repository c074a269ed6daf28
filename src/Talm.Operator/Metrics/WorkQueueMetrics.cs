using System.Diagnostics.Metrics;
using Talm.Operator.Queue;

namespace Talm.Operator.Metrics;

/// <summary>The client-go workqueue metrics, under their usual Prometheus names.</summary>
public sealed class WorkQueueMetrics
{
    private static readonly double[] DurationBuckets =
        [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

    private readonly Lock _gate = new();
    private readonly List<WorkQueue> _queues = [];
    private readonly Counter<long> _adds;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _queueDuration;
    private readonly Histogram<double> _workDuration;

    public WorkQueueMetrics(Meter meter)
    {
        _adds = meter.CreateCounter<long>("workqueue_adds_total", description: "Total number of adds handled by workqueue");
        _retries = meter.CreateCounter<long>("workqueue_retries_total", description: "Total number of retries handled by workqueue");
        _queueDuration = meter.CreateHistogram("workqueue_queue_duration_seconds", unit: "s",
            description: "How long in seconds an item stays in workqueue before being requested",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _workDuration = meter.CreateHistogram("workqueue_work_duration_seconds", unit: "s",
            description: "How long in seconds processing an item from workqueue takes",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        meter.CreateObservableGauge("workqueue_depth", () => Observe(q => q.Depth),
            description: "Current depth of workqueue");
        meter.CreateObservableGauge("workqueue_unfinished_work_seconds", () => Observe(q => q.InFlightSeconds().Total),
            description: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration");
        meter.CreateObservableGauge("workqueue_longest_running_processor_seconds", () => Observe(q => q.InFlightSeconds().Longest),
            description: "How many seconds has the longest running processor for workqueue been running");
    }

    internal void Register(WorkQueue queue)
    {
        lock (_gate) _queues.Add(queue);
    }

    internal void Unregister(WorkQueue queue)
    {
        lock (_gate) _queues.Remove(queue);
    }

    internal void Added(string queue) => _adds.Add(1, Tag(queue));
    internal void Retried(string queue) => _retries.Add(1, Tag(queue));
    internal void Waited(string queue, TimeSpan waited) => _queueDuration.Record(waited.TotalSeconds, Tag(queue));
    internal void Worked(string queue, TimeSpan worked) => _workDuration.Record(worked.TotalSeconds, Tag(queue));

    private static KeyValuePair<string, object?> Tag(string queue) => new("name", queue);

    private IEnumerable<Measurement<T>> Observe<T>(Func<WorkQueue, T> read) where T : struct
    {
        WorkQueue[] queues;
        lock (_gate) queues = [.. _queues];
        return queues.Select(q => new Measurement<T>(read(q), Tag(q.Name)));
    }
}
