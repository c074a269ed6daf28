using Talm.Recovery.Ostree;

namespace Talm.Recovery.Rollback;

/// <summary>
/// The rollback table of docs/recovery.md as a pure function of the deployment list. "Current" is the booted deployment, or the
/// default (index 0) when nothing is booted from this sysroot (a sandbox, or a sysroot inspected from
/// outside). The rollback standby is the deployment right after the current one.
/// </summary>
public static class RollbackPlanner
{
    public static RollbackPlan Plan(IReadOnlyList<OstreeDeployment> deployments)
    {
        var current = deployments.FirstOrDefault(d => d.Booted) ?? deployments.FirstOrDefault();
        var pinned = PinnedTarget(deployments, current);
        if (pinned is null)
        {
            return new RollbackPlan(RollbackAction.NoPinnedDeployment, null, current, [], deployments);
        }

        if (pinned.Index == 0)
        {
            return new RollbackPlan(RollbackAction.None, pinned, current, [], deployments);
        }

        // Unpinned standbys between the current deployment and the pinned one keep it from being the
        // rollback target; other pinned deployments are never removed by us (pins are advisory to ostree).
        var currentIndex = current!.Index;
        var toUndeploy = deployments
            .Where(d => d.Index > currentIndex && d.Index < pinned.Index && !d.Pinned)
            .ToList();
        var newOrder = new List<OstreeDeployment> { pinned };
        newOrder.AddRange(deployments.Where(d => d != pinned && !toUndeploy.Contains(d)));
        var action = toUndeploy.Count > 0 ? RollbackAction.UndeployThenMakeDefault : RollbackAction.MakeDefault;
        return new RollbackPlan(action, pinned, current, toUndeploy, newOrder);
    }

    /// <summary>
    /// The deployment to return to: the pinned one, preferring the one nearest after the current
    /// deployment when several are pinned (the backup pins exactly one).
    /// </summary>
    private static OstreeDeployment? PinnedTarget(IReadOnlyList<OstreeDeployment> deployments, OstreeDeployment? current)
    {
        var pinned = deployments.Where(d => d.Pinned).ToList();
        if (pinned.Count == 0)
        {
            return null;
        }

        if (pinned.Any(d => d.Index == 0))
        {
            return pinned.First(d => d.Index == 0);
        }

        var currentIndex = current?.Index ?? 0;
        return pinned.FirstOrDefault(d => d.Index > currentIndex) ?? pinned[0];
    }
}
