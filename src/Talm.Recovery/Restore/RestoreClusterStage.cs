using Talm.Recovery.Layout;
using Talm.Recovery.NodeTools;

namespace Talm.Recovery.Restore;

/// <summary>
/// <c>restore_cluster</c>, after the reboot: mirrors <c>/var/lib/kubelet</c>, puts etcd and the static pods back
/// (itself, or with OpenShift's <c>cluster-restore.sh</c>), then restarts CRI-O and kubelet and waits for the
/// control plane's containers to be new ones.
/// </summary>
internal sealed class RestoreClusterStage : IRestoreStage
{
    public string Name => RestoreStage.RestoreCluster;

    public async Task<RestoreOutcome?> RunAsync(RestoreContext context, CancellationToken cancellationToken)
    {
        var step = Name;
        var (log, tools, options) = (context.Log, context.Tools, context.Options);
        log.Info($"Stage {step}: restoring /var/lib/kubelet and etcd");
        foreach (var tree in RestoredTree.All.Where(t => t.Stage == step))
        {
            context.Mirror(tree, cancellationToken);
        }

        var crio = await tools.TryRunAsync(step, "systemctl", ["is-active", "crio"], cancellationToken).ConfigureAwait(false);
        if (!crio.Succeeded)
        {
            await context.Tool(step, "systemctl", "start", "crio").ConfigureAwait(false);
        }

        var containers = new NodeContainers(tools, log, context.Time, options.HeartbeatPeriod);
        var oldIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in NodeContainers.Watched)
        {
            oldIds[name] = await containers.RunningIdAsync(step, name, cancellationToken).ConfigureAwait(false);
        }

        if (context.EtcdTool.Method == EtcdRestoreMethod.ClusterRestoreScript)
        {
            await RunClusterRestoreScriptAsync(context, step, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await new EtcdStaticPodRestore(context).RunAsync(step, cancellationToken).ConfigureAwait(false);
        }

        await context.Tool(step, "systemctl", "enable", "kubelet").ConfigureAwait(false);
        await context.Tool(step, "systemctl", "restart", "crio").ConfigureAwait(false);
        await context.Tool(step, "systemctl", "restart", "kubelet").ConfigureAwait(false);
        foreach (var name in NodeContainers.Watched)
        {
            await containers.WaitForNewIdAsync(step, name, oldIds[name], options.ContainerTimeout, options.PollInterval, cancellationToken).ConfigureAwait(false);
        }

        context.Progress.Append(step);
        log.Info($"Stage {step} complete");
        if (options.Step)
        {
            log.Info($"Stage {step} complete (--step); run '{context.ProgramName} --step' or '{context.ProgramName} --resume' to continue with the redeployment");
            return RestoreOutcome.SteppedStage;
        }

        return null;
    }

    /// <summary>
    /// The reference's way: OpenShift's <c>cluster-restore.sh</c> with the backup's cluster directory. It stops the
    /// etcd static pod, moves the data directory's member to /var/lib/etcd-backup and brings etcd back from the
    /// snapshot (and, in its newer versions, the other static pods).
    /// </summary>
    private static async Task RunClusterRestoreScriptAsync(RestoreContext context, string step, CancellationToken cancellationToken)
    {
        var script = context.EtcdTool;
        var cluster = Path.Combine(context.Root, BackupLayout.ClusterDir);
        context.Log.Info($"Restoring etcd and the static pods with {script.Path} {cluster} (OpenShift's restore script)");
        using (Heartbeat.Start(context.Log, context.Time, context.Options.HeartbeatPeriod, "cluster-restore.sh"))
        {
            var result = await context.Tools.RunAsync(step, script.Path, [cluster], cancellationToken).ConfigureAwait(false);
            foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(10))
            {
                context.Log.Info("  cluster-restore.sh: " + line);
            }
        }
    }
}
