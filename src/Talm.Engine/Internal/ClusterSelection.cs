using Talm.Api.Cgu;
using Talm.Api.Meta;

namespace Talm.Engine.Internal;

/// <summary>Step 2: which clusters the CGU covers, in upgrade order (hub-protocol §3).</summary>
internal static class ClusterSelection
{
    /// <returns>The selected clusters in order and their positions (slots), or null when ClustersSelected is False.</returns>
    public static (List<string> Clusters, Dictionary<string, int> Slots)? Run(DecisionContext ctx)
    {
        var spec = ctx.Spec;
        var selected = new List<string>(spec.Clusters?.Count ?? 0);
        var slots = new Dictionary<string, int>(spec.Clusters?.Count ?? 0, StringComparer.Ordinal);
        foreach (var name in spec.Clusters ?? [])
        {
            if (slots.TryAdd(name, selected.Count))
                selected.Add(name);
        }

        // One walk over the fleet: mark the explicit clusters that exist, collect selector matches.
        var explicitCount = selected.Count;
        var found = new bool[explicitCount];
        var selectors = ParseSelectors(spec);
        var matched = new List<string>();
        foreach (var cluster in ctx.Snapshot.ManagedClusters)
        {
            var name = cluster.Name;
            if (slots.TryGetValue(name, out var slot))
            {
                found[slot] = true;
                continue;
            }
            foreach (var selector in selectors)
            {
                if (selector.Matches(cluster.Metadata.Labels))
                {
                    matched.Add(name);
                    break;
                }
            }
        }
        matched.Sort(StringComparer.Ordinal);
        foreach (var m in matched)
        {
            if (slots.TryAdd(m, selected.Count))
                selected.Add(m);
        }

        string? failure = null;
        var missing = Array.IndexOf(found, false);
        if (missing >= 0)
            failure = Messages.ClusterNotManaged(selected[missing]);
        else if (selected.Count == 0)
            failure = Messages.NoClusterSpecified;
        else
        {
            foreach (var canary in spec.RemediationStrategy?.Canaries ?? [])
            {
                if (!slots.ContainsKey(canary))
                {
                    failure = Messages.CanaryNotInList(canary);
                    break;
                }
            }
        }

        if (failure is not null)
        {
            ctx.SetCondition(ConditionTypes.ClustersSelected, false, ConditionReasons.ClusterNotFound, failure);
            ctx.RequeueWithin(DecisionContext.PollInterval);
            return null;
        }

        var max = spec.RemediationStrategy?.MaxConcurrency ?? 0;
        ctx.Status.ComputedMaxConcurrency = max > 0 && max < selected.Count ? max : selected.Count;
        ctx.SetCondition(ConditionTypes.ClustersSelected, true, ConditionReasons.ClusterSelectionCompleted, Messages.AllClustersValid);
        ctx.Index.Select(slots, selected);
        return (selected, slots);
    }

    /// <summary>clusterLabelSelectors plus the deprecated clusterSelector strings, each its own OR-ed selector.</summary>
    private static List<LabelSelector> ParseSelectors(ClusterGroupUpgradeSpec spec)
    {
        var list = new List<LabelSelector>();
        foreach (var s in spec.ClusterLabelSelectors ?? [])
        {
            // An empty selector in a list of alternatives would select the whole fleet; the reference ignores it.
            if (!s.IsEmpty)
                list.Add(s);
        }
        foreach (var s in spec.ClusterSelector ?? [])
        {
            if (string.IsNullOrWhiteSpace(s))
                continue;
            var eq = s.IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? s : s[..eq]).Trim();
            var value = eq < 0 ? "" : s[(eq + 1)..].Trim();
            list.Add(new LabelSelector { MatchLabels = new Dictionary<string, string> { [key] = value } });
        }
        return list;
    }
}
