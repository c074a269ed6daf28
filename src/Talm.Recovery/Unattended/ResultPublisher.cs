using Talm.Recovery.ClusterApi;
using Talm.Recovery.NodeTools;

namespace Talm.Recovery.Unattended;

/// <summary>
/// Puts the result into the cluster (<see cref="ResultConfigMap"/>) with the node's kubeconfig. After a restore
/// the API server may take a while to answer, or, when the restore failed, never answer: it is asked again every
/// <see cref="Interval"/> until <see cref="Limit"/>, with a heartbeat line while it waits. Giving up is no failure
/// of the restore: the result file on the node stays the source of truth.
/// </summary>
public sealed class ResultPublisher(RecoveryLog log, TimeProvider time)
{
    public TimeSpan Limit { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan HeartbeatPeriod { get; init; } = Heartbeat.DefaultPeriod;

    /// <summary>Each request's own limit.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The result with <see cref="UnattendedResult.PublishedAt"/> or <see cref="UnattendedResult.PublishProblem"/> set.</summary>
    public async Task<UnattendedResult> PublishAsync(string? kubeconfig, UnattendedResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        var target = $"ConfigMap {ResultConfigMap.Namespace}/{ResultConfigMap.Name}";
        if (string.IsNullOrEmpty(kubeconfig))
        {
            return Gave(result, target, "no kubeconfig (KUBECONFIG is not set)");
        }

        KubeconfigFile config;
        try
        {
            config = KubeconfigFile.Load(kubeconfig);
        }
        catch (InvalidDataException e)
        {
            return Gave(result, target, e.Message);
        }

        using (config)
        using (var api = new ApiClient(config, RequestTimeout))
        using (Heartbeat.Start(log, time, HeartbeatPeriod, $"the API server at {api.Server} to take the result ({target})", Limit))
        {
            var started = time.GetTimestamp();
            string? problem = null;
            while (true)
            {
                try
                {
                    await ResultConfigMap.WriteAsync(api, result, cancellationToken).ConfigureAwait(false);
                    log.Info($"Result recorded in the cluster: {target} (state {result.State})");
                    return result with { PublishedAt = time.GetUtcNow(), PublishProblem = null };
                }
                catch (Exception e) when (e is HttpRequestException or ApiRefusedException or System.Security.Authentication.AuthenticationException
                                              || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    var first = problem is null;
                    problem = e is OperationCanceledException ? $"no answer within {Heartbeat.Format(RequestTimeout)}" : OneLine(e);
                    if (first)
                    {
                        log.Info($"The API server at {api.Server} does not take the result yet ({problem}); asking again every {Heartbeat.Format(Interval)} for up to {Heartbeat.Format(Limit)}");
                    }
                }

                if (time.GetElapsedTime(started) + Interval > Limit)
                {
                    return Gave(result, target, $"{problem} (for {Heartbeat.Format(time.GetElapsedTime(started))})");
                }

                await Task.Delay(Interval, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private UnattendedResult Gave(UnattendedResult result, string target, string problem)
    {
        log.Warn($"The result is not in the cluster ({target}): {problem}. It is on the node: 'talm recovery status'");
        return result with { PublishProblem = problem };
    }

    private static string OneLine(Exception e)
    {
        var text = e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} ({inner.Message})" : e.Message;
        return text.ReplaceLineEndings(" ");
    }
}
