using Talm.Api.Cgu;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

/// <summary>beforeEnable/afterCompletion label and annotation changes as intents.</summary>
internal static class ClusterActionsApplier
{
    public static void Apply(DecisionContext ctx, ClusterActions? actions, string cluster)
    {
        if (actions is null || actions.IsEmpty)
            return;
        var removeLabels = new List<string>(actions.RemoveClusterLabels ?? []);
        foreach (var key in actions.DeleteClusterLabels?.Keys ?? Enumerable.Empty<string>())
        {
            if (!removeLabels.Contains(key))
                removeLabels.Add(key);
        }
        ctx.Intents.Add(new ClusterMetadataIntent(
            cluster,
            actions.AddClusterLabels ?? new Dictionary<string, string>(),
            removeLabels,
            actions.AddClusterAnnotations ?? new Dictionary<string, string>(),
            actions.RemoveClusterAnnotations ?? []));
    }
}
