using Prometheus;
using Talm.Operator.Queue;

namespace Talm.Operator.Metrics;

/// <summary>The client-go workqueue metrics, under their usual Prometheus names.</summary>
public sealed class WorkQueueMetrics
{
    private static readonly double[] DurationBuckets =
        [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

    private readonly Lock _gate = new();
    private readonly List<WorkQueue> _queues = [];
    private readonly Counter _adds;
    private readonly Counter _retries;
    private readonly Histogram _queueDuration;
    private readonly Histogram _workDuration;
    private readonly Gauge _depth;
    private readonly Gauge _unfinished;
    private readonly Gauge _longest;

    public WorkQueueMetrics(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        string[] name = ["name"];
        _adds = f.CreateCounter("workqueue_adds_total", "Total number of adds handled by workqueue",
            new CounterConfiguration { LabelNames = name });
        _retries = f.CreateCounter("workqueue_retries_total", "Total number of retries handled by workqueue",
            new CounterConfiguration { LabelNames = name });
        _queueDuration = f.CreateHistogram("workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested",
            new HistogramConfiguration { LabelNames = name, Buckets = DurationBuckets });
        _workDuration = f.CreateHistogram("workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes",
            new HistogramConfiguration { LabelNames = name, Buckets = DurationBuckets });
        _depth = f.CreateGauge("workqueue_depth", "Current depth of workqueue", new GaugeConfiguration { LabelNames = name });
        _unfinished = f.CreateGauge("workqueue_unfinished_work_seconds",
            "How many seconds of work has been done that is in progress and hasn't been observed by work_duration",
            new GaugeConfiguration { LabelNames = name });
        _longest = f.CreateGauge("workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for workqueue been running",
            new GaugeConfiguration { LabelNames = name });
        // The gauges are read from the queues at each scrape.
        registry.AddBeforeCollectCallback(Observe);
    }

    internal void Register(WorkQueue queue)
    {
        lock (_gate) _queues.Add(queue);
        // Every series of a queue exists from its start, at 0, so rates and alerts see it.
        _adds.WithLabels(queue.Name);
        _retries.WithLabels(queue.Name);
    }

    internal void Unregister(WorkQueue queue)
    {
        lock (_gate) _queues.Remove(queue);
        foreach (var gauge in new[] { _depth, _unfinished, _longest }) gauge.RemoveLabelled(queue.Name);
    }

    internal void Added(string queue) => _adds.WithLabels(queue).Inc();
    internal void Retried(string queue) => _retries.WithLabels(queue).Inc();
    internal void Waited(string queue, TimeSpan waited) => _queueDuration.WithLabels(queue).Observe(waited.TotalSeconds);
    internal void Worked(string queue, TimeSpan worked) => _workDuration.WithLabels(queue).Observe(worked.TotalSeconds);

    private void Observe()
    {
        WorkQueue[] queues;
        lock (_gate) queues = [.. _queues];
        foreach (var q in queues)
        {
            var (longest, total) = q.InFlightSeconds();
            _depth.WithLabels(q.Name).Set(q.Depth);
            _unfinished.WithLabels(q.Name).Set(total);
            _longest.WithLabels(q.Name).Set(longest);
        }
    }
}
