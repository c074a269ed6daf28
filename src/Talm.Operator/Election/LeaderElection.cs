using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;

namespace Talm.Operator.Election;

/// <summary>
/// Runs <c>lead</c> only while this process holds the Lease. Returns when <c>cancel</c> fires;
/// throws <see cref="LeadershipLostException"/> when the lease is lost, after cancelling <c>lead</c>.
/// </summary>
public static class LeaderElection
{
    public static async Task RunAsync(IKubernetes client, LeaderElectionOptions options, Func<CancellationToken, Task> lead,
        ILogger log, CancellationToken cancel)
    {
        var config = new LeaderElectionConfig(new LeaseLock(client, options.Namespace, options.LeaseName, options.Identity))
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        };
        using var elector = new LeaderElector(config);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task? work = null;
        elector.OnStartedLeading += () =>
        {
            log.LogInformation("Acquired lease {Namespace}/{Lease} as {Identity}", options.Namespace, options.LeaseName, options.Identity);
            work = Task.Run(() => lead(leading.Token), CancellationToken.None);
        };
        elector.OnNewLeader += leader => log.LogInformation("Leader is now {Leader}", leader);
        elector.OnError += e => log.LogWarning("Leader election: {Error}", e.Message);

        log.LogInformation("Waiting for lease {Namespace}/{Lease} as {Identity}", options.Namespace, options.LeaseName, options.Identity);
        try
        {
            await elector.RunUntilLeadershipLostAsync(cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        await leading.CancelAsync().ConfigureAwait(false);
        if (work is not null)
        {
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        if (!cancel.IsCancellationRequested)
            throw new LeadershipLostException(options.Identity, $"{options.Namespace}/{options.LeaseName}");
    }
}
