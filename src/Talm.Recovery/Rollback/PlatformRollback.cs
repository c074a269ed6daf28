using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Host;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;

namespace Talm.Recovery.Rollback;

/// <summary>
/// Makes the pinned (pre-upgrade) deployment the one that boots next, following docs/recovery.md, step 2. On a live
/// node with rpm-ostree the final switch is <c>rpm-ostree rollback</c>; otherwise (sandbox, or no
/// rpm-ostree) the deployment list is rewritten through libostree. Standbys in the way are undeployed
/// through libostree in both cases; pinned deployments are never removed.
/// </summary>
public sealed class PlatformRollback(NodeToolRunner tools, RecoveryLog log)
{
    public const string Step = "rollback";

    /// <summary>rpm-ostree acts on the running system only; a sandbox or mounted root goes through libostree.</summary>
    public static bool UsesRpmOstree(string hostRoot, NodeToolRunner tools) => hostRoot == "/" && tools?.Find("rpm-ostree") is not null;

    public static RollbackPlan Inspect(string hostRoot)
    {
        return RollbackPlanner.Plan(new NodeOstree(new HostPaths(hostRoot)).Deployments());
    }

    /// <summary>Runs the rollback; returns the plan that was carried out.</summary>
    /// <param name="useRpmOstree">Switch with rpm-ostree (only meaningful when the host root is the running system).</param>
    /// <param name="reboot">Reboot once the default is switched.</param>
    public async Task<RollbackPlan> RunAsync(string hostRoot, bool useRpmOstree, bool reboot, CancellationToken cancellationToken = default)
    {
        var ostree = new NodeOstree(new HostPaths(hostRoot));
        var sysrootPath = ostree.Sysroot;
        // The lock file and the new deployment list are written on /sysroot and /boot, which RHCOS mounts read-only.
        using var writable = ostree.WriteAccess(NullLogger.Instance);
        using var sysroot = ostree.Open();
        sysroot.Lock();
        var plan = RollbackPlanner.Plan(sysroot.Deployments());
        switch (plan.Action)
        {
            case RollbackAction.NoPinnedDeployment:
                throw new RollbackRefusedException(
                    $"no ostree deployment is pinned in {sysrootPath}, so there is no known pre-upgrade OS to return to; " +
                    "check 'ostree admin status' (the backup pins the deployment it was taken on) and do not undeploy anything by hand");
            case RollbackAction.None:
                log.Info($"OS unchanged: pinned deployment {plan.Pinned!.Id} ({plan.Pinned.Version ?? "no version"}) already boots next; no rollback needed");
                return plan;
        }

        var pinned = plan.Pinned!;
        if (plan.ToUndeploy.Count > 0)
        {
            log.Info($"Undeploying unpinned standby deployment(s) in the way: {string.Join(", ", plan.ToUndeploy.Select(d => d.Id))}");
            if (useRpmOstree)
            {
                // Keep the order, only drop the standbys: rpm-ostree then sees the pinned one as its rollback target.
                sysroot.WriteDeployments(sysroot.Deployments().Where(d => !plan.ToUndeploy.Any(u => u.Id == d.Id)).Select(d => d.Id).ToList());
            }
        }

        if (useRpmOstree)
        {
            sysroot.Dispose();
            log.Info($"Making pinned deployment {pinned.Id} ({pinned.Version ?? "no version"}) the default with rpm-ostree");
            await tools.RunAsync(Step, "rpm-ostree", reboot ? ["rollback", "-r"] : ["rollback"], cancellationToken).ConfigureAwait(false);
            return plan;
        }

        log.Info($"Making pinned deployment {pinned.Id} ({pinned.Version ?? "no version"}) the default");
        sysroot.WriteDeployments(plan.NewOrder.Select(d => d.Id).ToList());
        var after = sysroot.Deployments();
        if (after.Count == 0 || after[0].Id != pinned.Id || !after[0].Pinned)
        {
            throw new OstreeException($"after writing the deployment list, {after.FirstOrDefault()?.Id ?? "nothing"} boots next instead of {pinned.Id}; check 'ostree admin status --sysroot={sysrootPath}'");
        }

        if (reboot)
        {
            sysroot.Dispose();
            await tools.RunAsync(Step, "systemctl", ["reboot"], cancellationToken).ConfigureAwait(false);
        }

        return plan;
    }
}

public sealed class RollbackRefusedException(string message) : Exception(message);
