using Talm.Api.Cgu;
using Talm.Api.Meta;

namespace Talm.Engine.Reconcile;

/// <summary>
/// blockingCRs: every named CGU must exist and have succeeded (with the partial completion mode
/// annotation, merely have ended) before this one starts.
/// </summary>
internal static class BlockingCrs
{
    public static (List<string> NotCompleted, List<string> Missing) Check(ReconcileContext ctx)
    {
        var notCompleted = new List<string>();
        var missing = new List<string>();
        var partial = ctx.Cgu.Metadata.Annotation(HubNames.BlockingCompletionModeAnnotation) == HubNames.PartialBlockingCompletion;
        foreach (var reference in ctx.Spec.BlockingCRs ?? [])
        {
            var other = ctx.Hub.OtherCgu(reference.Namespace ?? "", reference.Name ?? "");
            if (other is null)
            {
                missing.Add(reference.Name ?? "");
                continue;
            }
            var conditions = other.Status?.Conditions;
            if (conditions is null)
            {
                notCompleted.Add(other.Name);
                continue;
            }
            var succeeded = Conditions.Find(conditions, ConditionTypes.Succeeded);
            if (partial ? succeeded is null : succeeded is not { IsTrue: true })
                notCompleted.Add(other.Name);
        }
        return (notCompleted, missing);
    }

    /// <summary>filterNonCompletedClustersInBlockingCRs: only clusters every blocking CGU completed.</summary>
    public static List<string> CompletedInAll(ReconcileContext ctx, List<string> clusters)
    {
        var completed = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var reference in ctx.Spec.BlockingCRs ?? [])
        {
            var other = ctx.Hub.OtherCgu(reference.Namespace ?? "", reference.Name ?? "");
            if (other is null)
            {
                ctx.Fail($"failed to get blocking CR: clustergroupupgrades.ran.openshift.io \"{reference.Name}\" not found");
                return [];
            }
            foreach (var state in other.Status?.Clusters ?? [])
            {
                if (state.State != ClusterResultStates.Complete)
                    continue;
                completed[state.Name] = completed.GetValueOrDefault(state.Name) + 1;
            }
        }
        var needed = ctx.Spec.BlockingCRs?.Count ?? 0;
        // The reference walks a map here; the CGU's own cluster order is kept instead.
        return clusters.FindAll(c => completed.GetValueOrDefault(c) == needed);
    }
}
