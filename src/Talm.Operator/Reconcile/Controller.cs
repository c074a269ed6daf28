using Microsoft.Extensions.Logging;
using Talm.Operator.Metrics;
using Talm.Operator.Queue;

namespace Talm.Operator.Reconcile;

/// <summary>
/// A bounded pool of workers taking keys from the queue. The queue guarantees one key is never in
/// two workers at once; errors go back with per-key backoff, success clears it.
/// </summary>
public sealed class Controller(WorkQueue queue, IReconciler reconciler, int workers, ControllerMetrics metrics,
    TimeProvider time, ILogger log)
{
    public async Task RunAsync(CancellationToken cancel)
    {
        metrics.SetMaxWorkers(workers);
        using var stop = cancel.Register(queue.ShutDown);
        var pool = Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(cancel), CancellationToken.None)).ToArray();
        await Task.WhenAll(pool).ConfigureAwait(false);
    }

    private async Task WorkAsync(CancellationToken cancel)
    {
        while (await queue.GetAsync(cancel).ConfigureAwait(false) is { } key)
        {
            metrics.WorkerStarted();
            var started = time.GetTimestamp();
            using var scope = log.BeginScope(new Dictionary<string, object> { ["cgu"] = key });
            try
            {
                var result = await reconciler.ReconcileAsync(key, cancel).ConfigureAwait(false);
                queue.Forget(key);
                if (result.RequeueAfter is { } after)
                {
                    queue.AddAfter(key, after);
                    metrics.Reconciled("requeue_after", time.GetElapsedTime(started));
                }
                else
                {
                    metrics.Reconciled("success", time.GetElapsedTime(started));
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                metrics.Reconciled("error", time.GetElapsedTime(started));
            }
            catch (Exception e)
            {
                metrics.Reconciled("error", time.GetElapsedTime(started));
                queue.AddRateLimited(key);
                log.LogWarning(e, "Reconcile of {Cgu} failed ({Error}); retry {Attempt} with backoff", key,
                    Kube.Informer.Describe(e), queue.Failures(key));
            }
            finally
            {
                queue.Done(key);
                metrics.WorkerStopped();
            }
        }
    }
}
