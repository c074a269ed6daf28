using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Talm.Operator.Kube;

namespace Talm.Operator.Election;

/// <summary>
/// Runs <c>lead</c> only while this process holds the Lease, with client-go's semantics: try to acquire
/// every retry period; once leading, renew every retry period, and when a renewal fails (the API server
/// unreachable, a conflict, a timeout) keep retrying until the renew deadline has passed since the
/// renewal cycle began; only then is the lease lost. Returns when <c>cancel</c> fires; throws
/// <see cref="LeadershipLostException"/> when the lease is lost, after cancelling <c>lead</c>.
/// </summary>
public static class LeaderElection
{
    public static async Task RunAsync(IKubernetes client, LeaderElectionOptions options, Func<CancellationToken, Task> lead,
        ILogger log, CancellationToken cancel, TimeProvider? time = null)
    {
        var elector = new Elector(client, options, time ?? TimeProvider.System, log);
        log.LogInformation("Waiting for lease {Namespace}/{Lease} as {Identity}", options.Namespace, options.LeaseName, options.Identity);
        try
        {
            await elector.AcquireAsync(cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return;
        }
        log.LogInformation("Acquired lease {Namespace}/{Lease} as {Identity}", options.Namespace, options.LeaseName, options.Identity);

        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
        var held = true;
        try
        {
            held = await elector.RenewWhileLeadingAsync(work, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        await leading.CancelAsync().ConfigureAwait(false);
        try
        {
            // A lead that failed on its own fails the run with its own error.
            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
        }
        if (!held) throw new LeadershipLostException(options.Identity, $"{options.Namespace}/{options.LeaseName}");
        await ReleaseAsync(client, options, log).ConfigureAwait(false);
    }

    /// <summary>One candidate's view of the Lease, as client-go's LeaderElector keeps it.</summary>
    private sealed class Elector(IKubernetes client, LeaderElectionOptions options, TimeProvider time, ILogger log)
    {
        private string? _observedHolder;
        private DateTime? _observedRenew;
        private long _observedAt;
        private string? _reportedLeader;

        public async Task AcquireAsync(CancellationToken cancel)
        {
            while (true)
            {
                if (await TryAcquireOrRenewAsync(options.RenewDeadline, cancel).ConfigureAwait(false)) return;
                // client-go's jitter: up to 1.2 retry periods more, so that candidates do not move in step.
                await Task.Delay(options.RetryPeriod * (1 + (1.2 * Random.Shared.NextDouble())), time, cancel).ConfigureAwait(false);
            }
        }

        /// <summary>Renews until <paramref name="work"/> ends (true) or the renew deadline passes without a renewal (false).</summary>
        public async Task<bool> RenewWhileLeadingAsync(Task work, CancellationToken cancel)
        {
            while (!work.IsCompleted)
            {
                await Task.WhenAny(work, Task.Delay(options.RetryPeriod, time, cancel)).ConfigureAwait(false);
                cancel.ThrowIfCancellationRequested();
                if (work.IsCompleted) return true;
                var cycle = time.GetTimestamp();
                while (true)
                {
                    var left = options.RenewDeadline - time.GetElapsedTime(cycle);
                    if (left <= TimeSpan.Zero)
                    {
                        log.LogError("Could not renew lease {Namespace}/{Lease} within the renew deadline ({Deadline}); giving it up",
                            options.Namespace, options.LeaseName, options.RenewDeadline);
                        return false;
                    }
                    if (await TryAcquireOrRenewAsync(left, cancel).ConfigureAwait(false)) break;
                    var pause = TimeSpanMin(options.RetryPeriod, options.RenewDeadline - time.GetElapsedTime(cycle));
                    if (pause > TimeSpan.Zero) await Task.Delay(pause, time, cancel).ConfigureAwait(false);
                }
            }
            return true;
        }

        private static TimeSpan TimeSpanMin(TimeSpan a, TimeSpan b) => a < b ? a : b;

        /// <summary>One attempt, bounded by <paramref name="budget"/>; any failure is logged and is a false.</summary>
        private async Task<bool> TryAcquireOrRenewAsync(TimeSpan budget, CancellationToken cancel)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            attempt.CancelAfter(budget);
            try
            {
                return await AttemptAsync(attempt.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                log.LogWarning("Lease {Namespace}/{Lease}: the API server did not answer within {Budget}", options.Namespace, options.LeaseName, budget);
                return false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning("Lease {Namespace}/{Lease}: {Error}", options.Namespace, options.LeaseName, Informer.Describe(e));
                return false;
            }
        }

        private async Task<bool> AttemptAsync(CancellationToken ct)
        {
            var now = time.GetUtcNow().UtcDateTime;
            V1Lease? lease;
            try
            {
                lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.Namespace, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (KubeErrors.IsNotFound(e))
            {
                lease = null;
            }
            var durationSeconds = (int)Math.Ceiling(options.LeaseDuration.TotalSeconds);
            if (lease is null)
            {
                try
                {
                    await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
                    {
                        Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.Namespace },
                        Spec = new V1LeaseSpec
                        {
                            HolderIdentity = options.Identity, LeaseDurationSeconds = durationSeconds,
                            AcquireTime = now, RenewTime = now, LeaseTransitions = 0,
                        },
                    }, options.Namespace, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (KubeErrors.IsConflict(e))
                {
                    return false; // another candidate created it first
                }
                Observe(options.Identity, now);
                return true;
            }

            var spec = lease.Spec ??= new V1LeaseSpec();
            // Expiry is judged on this process's clock from when the record last changed, never on the holder's timestamps.
            if (spec.HolderIdentity != _observedHolder || spec.RenewTime != _observedRenew) Observe(spec.HolderIdentity, spec.RenewTime);
            var heldByOther = !string.IsNullOrEmpty(spec.HolderIdentity) && spec.HolderIdentity != options.Identity;
            var expiresAfter = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? durationSeconds);
            if (heldByOther && time.GetElapsedTime(_observedAt) < expiresAfter) return false;

            if (spec.HolderIdentity != options.Identity)
            {
                spec.AcquireTime = now;
                spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + 1;
            }
            spec.HolderIdentity = options.Identity;
            spec.LeaseDurationSeconds = durationSeconds;
            spec.RenewTime = now;
            try
            {
                // The read's resourceVersion makes this a compare-and-swap: a concurrent writer wins with 409.
                await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.Namespace, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (KubeErrors.IsConflict(e))
            {
                return false;
            }
            Observe(options.Identity, now);
            return true;
        }

        private void Observe(string? holder, DateTime? renew)
        {
            (_observedHolder, _observedRenew, _observedAt) = (holder, renew, time.GetTimestamp());
            if (holder is { Length: > 0 } && holder != _reportedLeader)
            {
                _reportedLeader = holder;
                log.LogInformation("Leader is now {Leader}", holder);
            }
        }
    }

    /// <summary>
    /// On a clean stop, hand the lease back at once (as client-go's ReleaseOnCancel does) so that a
    /// standby takes over within its retry period instead of waiting for the lease to expire.
    /// </summary>
    private static async Task ReleaseAsync(IKubernetes client, LeaderElectionOptions options, ILogger log)
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.RenewDeadline);
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.Namespace,
                cancellationToken: timeout.Token).ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != options.Identity) return;
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = DateTime.UtcNow;
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.Namespace,
                cancellationToken: timeout.Token).ConfigureAwait(false);
            log.LogInformation("Released lease {Namespace}/{Lease}", options.Namespace, options.LeaseName);
        }
        catch (Exception e)
        {
            // Not fatal: the lease then simply expires.
            log.LogWarning("Could not release lease {Namespace}/{Lease}: {Error}", options.Namespace, options.LeaseName, e.Message);
        }
    }
}
