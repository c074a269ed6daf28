using Talm.Api.Cgu;
using Talm.Api.Meta;

namespace Talm.Engine.Internal;

/// <summary>Step 2: which clusters the CGU covers, in upgrade order (hub-protocol §3).</summary>
internal static class ClusterSelection
{
    /// <returns>The selected clusters, or null when ClustersSelected is False.</returns>
    public static List<string>? Run(DecisionContext ctx)
    {
        var spec = ctx.Spec;
        var selected = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? missing = null;
        foreach (var name in spec.Clusters ?? [])
        {
            if (!seen.Add(name))
                continue;
            selected.Add(name);
            if (missing is null && !ctx.Index.Clusters.ContainsKey(name))
                missing = name;
        }

        var selectors = ParseSelectors(spec);
        if (selectors.Count > 0)
        {
            var matched = new List<string>();
            foreach (var (name, cluster) in ctx.Index.Clusters)
            {
                if (seen.Contains(name))
                    continue;
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
            selected.AddRange(matched);
            foreach (var m in matched)
                seen.Add(m);
        }

        string? failure = null;
        if (missing is not null)
            failure = Messages.ClusterNotManaged(missing);
        else if (selected.Count == 0)
            failure = Messages.NoClusterSpecified;
        else
        {
            foreach (var canary in spec.RemediationStrategy?.Canaries ?? [])
            {
                if (!seen.Contains(canary))
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
        return selected;
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
