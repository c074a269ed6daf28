using System.Globalization;

namespace Talm.Recovery.Restore;

/// <summary>The final stage: forces the control plane's redeployment from the restored state, then clears the progress file.</summary>
internal sealed class RedeployStage : IRestoreStage
{
    public string Name => RestoreStage.Final;

    public async Task<RestoreOutcome?> RunAsync(RestoreContext context, CancellationToken cancellationToken)
    {
        var step = Name;
        var (log, tools, options) = (context.Log, context.Tools, context.Options);
        log.Info($"Final stage: forcing redeployment of the control plane from the restored state");
        var reason = "recovery-" + context.Time.GetUtcNow().ToString("yyyy-MM-dd_HHmmss", CultureInfo.InvariantCulture);
        await new Redeployment(tools, log, context.Time, options.HeartbeatPeriod).RunAsync(step, reason, options.RedeployTimeout, options.PollInterval, cancellationToken).ConfigureAwait(false);

        var status = await tools.TryRunAsync(step, "oc", ["get", "clusterversion,nodes,clusteroperator"], cancellationToken).ConfigureAwait(false);
        if (status.Succeeded)
        {
            log.Info("Cluster status:\n" + status.StdOut);
        }
        else
        {
            log.Warn($"could not show the cluster status ('{status.Command}': {status.Output}); check it with 'oc get clusterversion,nodes,clusteroperator'");
        }

        context.Progress.Delete();
        var asideRecord = EtcdDataRestore.AsideRecordPath(options.BackupDir);
        if (File.Exists(asideRecord))
        {
            log.Info($"The pre-recovery etcd data stays in {File.ReadAllText(asideRecord).Trim()}; remove it once the cluster is healthy");
            File.Delete(asideRecord);
        }

        log.Info("Recovery complete");
        return RestoreOutcome.Complete;
    }
}
