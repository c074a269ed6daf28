using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Operator.Metrics;
using Talm.Operator.Queue;
using Talm.Operator.Reconcile;

namespace Talm.Operator.Tests;

public sealed class ControllerTests
{
    private sealed class ScriptedReconciler(Func<string, int, ReconcileResult> script) : IReconciler
    {
        private int _inFlight;
        public ConcurrentDictionary<string, int> Calls { get; } = new();
        public int MaxInFlight;

        public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancel)
        {
            var now = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref MaxInFlight, now);
            try
            {
                await Task.Delay(20, cancel);
                var attempt = Calls.AddOrUpdate(key, 1, (_, n) => n + 1);
                return script(key, attempt);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
        }
    }

    [Fact]
    public async Task Errors_are_retried_with_backoff_requeues_happen_and_workers_are_bounded()
    {
        var metrics = new ControllerMetrics();
        using var queue = new WorkQueue("cgu", TimeProvider.System, new Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50)), metrics.Queue);
        var reconciler = new ScriptedReconciler((key, attempt) => key switch
        {
            "ns/flaky" when attempt < 3 => throw new InvalidOperationException("conflict"),
            "ns/later" when attempt == 1 => ReconcileResult.After(TimeSpan.FromMilliseconds(100)),
            _ => ReconcileResult.Done,
        });
        var controller = new Controller(queue, reconciler, 2, metrics, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = controller.RunAsync(stop.Token);
        foreach (var key in new[] { "ns/flaky", "ns/later", "ns/a", "ns/b", "ns/c", "ns/d" }) queue.Add(key);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !(reconciler.Calls.GetValueOrDefault("ns/flaky") == 3 && reconciler.Calls.GetValueOrDefault("ns/later") == 2))
            await Task.Delay(20);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(3, reconciler.Calls["ns/flaky"]);
        Assert.Equal(2, reconciler.Calls["ns/later"]);
        Assert.Equal(1, reconciler.Calls["ns/a"]);
        Assert.Equal(0, queue.Failures("ns/flaky")); // success forgets the failures
        Assert.True(reconciler.MaxInFlight <= 2, $"max in flight {reconciler.MaxInFlight}");
        var text = metrics.Render();
        Assert.Contains("controller_runtime_reconcile_total{controller=\"clustergroupupgrade\",result=\"error\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_reconcile_total{controller=\"clustergroupupgrade\",result=\"requeue_after\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("workqueue_retries_total{name=\"cgu\"} 2\n", text, StringComparison.Ordinal);
    }
}
