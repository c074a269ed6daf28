using Talm.Api.Cgu;
using Talm.Engine.Model;

namespace Talm.Engine.Reconcile;

/// <summary>beforeEnable and afterCompletion: labels and annotations put on or taken off ManagedClusters.</summary>
internal static class ClusterActions
{
    /// <summary>takeActionsBeforeEnable: on every cluster of the plan as the upgrade starts.</summary>
    public static void BeforeEnable(ReconcileContext ctx)
    {
        var actions = ctx.Spec.Actions?.BeforeEnable;
        if (actions is null || actions.IsEmpty)
            return;
        foreach (var cluster in RemediationPlan.Clusters(ctx.Status))
            Apply(ctx, actions, cluster);
    }

    /// <summary>performAfterCompletionActions: clusters that needed nothing count as complete at once (when enabled).</summary>
    public static void AfterCompletionForCompliant(ReconcileContext ctx, List<string> clusters)
    {
        if (!ctx.Spec.IsEnabled)
            return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cluster in clusters)
        {
            if (seen.Add(cluster))
                AfterCompletion(ctx, cluster);
        }
    }

    /// <summary>takeActionsAfterCompletion: the cluster is listed as complete and the afterCompletion actions applied.</summary>
    public static void AfterCompletion(ReconcileContext ctx, string cluster)
    {
        (ctx.Status.Clusters ??= []).Add(new ClusterResult { Name = cluster, State = ClusterResultStates.Complete });
        var actions = ctx.Spec.Actions?.AfterCompletion;
        if (actions is not null && !actions.IsEmpty)
            Apply(ctx, actions, cluster);
    }

    private static void Apply(ReconcileContext ctx, Api.Cgu.ClusterActions actions, string cluster)
    {
        // A cluster that no longer exists is passed over, as the reference does.
        if (ctx.Hub.Cluster(cluster) is null)
            return;
        var remove = new List<string>();
        foreach (var key in actions.DeleteClusterLabels?.Keys ?? Enumerable.Empty<string>())
            remove.Add(key);
        foreach (var key in actions.RemoveClusterLabels ?? [])
        {
            if (!remove.Contains(key))
                remove.Add(key);
        }
        ctx.Intents.Add(new ClusterMetadataIntent(
            cluster,
            actions.AddClusterLabels ?? new Dictionary<string, string>(),
            remove,
            actions.AddClusterAnnotations ?? new Dictionary<string, string>(),
            actions.RemoveClusterAnnotations ?? []));
    }
}
