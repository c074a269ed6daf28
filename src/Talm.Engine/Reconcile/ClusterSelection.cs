using Talm.Api.Meta;

namespace Talm.Engine.Reconcile;

/// <summary>What validating the CGU's clusters found.</summary>
internal sealed record SelectionResult(List<string> Clusters, List<string> Missing, bool Reconcile, string? Error);

/// <summary>
/// The clusters a CGU covers, in upgrade order: the listed ones first (duplicates dropped), then those
/// matched by the deprecated clusterSelector and by clusterLabelSelectors, sorted by name. Every one must
/// be a ManagedCluster and every canary must be among them.
/// </summary>
internal static class ClusterSelection
{
    public static SelectionResult Validate(ReconcileContext ctx)
    {
        var spec = ctx.Spec;
        if (spec.Clusters is null && spec.ClusterSelector is null && spec.ClusterLabelSelectors is null)
            return new([], [], false, "cannot obtain all the details about the clusters in the CR: no cluster specified for remediation");

        var clusters = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in spec.Clusters ?? [])
        {
            if (seen.Add(name))
                clusters.Add(name);
        }

        var matched = new List<string>();
        foreach (var selector in spec.ClusterSelector ?? [])
        {
            var parts = selector.Split('=');
            if (parts.Length > 2)
                continue; // malformed: ignored, as the reference does
            var key = parts[0];
            var value = parts.Length == 2 ? parts[1] : "";
            foreach (var cluster in ctx.Hub.AllClusters)
            {
                if (cluster.Metadata.Labels is { } labels && labels.TryGetValue(key, out var v) && v == value && seen.Add(cluster.Name))
                    matched.Add(cluster.Name);
            }
        }
        foreach (var selector in spec.ClusterLabelSelectors ?? [])
        {
            if (InvalidOperator(selector) is { } op)
                return new([], [], false, $"cannot obtain all the details about the clusters in the CR: \"{op}\" is not a valid label selector operator");
            foreach (var cluster in ctx.Hub.AllClusters)
            {
                // An empty selector selects every cluster, as Kubernetes' does.
                if (selector.Matches(cluster.Metadata.Labels) && seen.Add(cluster.Name))
                    matched.Add(cluster.Name);
            }
        }
        matched.Sort(StringComparer.Ordinal);
        clusters.AddRange(matched);

        var missing = clusters.Where(c => ctx.Hub.Cluster(c) is null).ToList();
        if (missing.Count > 0)
            return new([], missing, false, $"cluster {missing[0]} is not a ManagedCluster");

        foreach (var canary in spec.RemediationStrategy?.Canaries ?? [])
        {
            if (!seen.Contains(canary))
                return new([], [], false, $"canary cluster {canary} is not in the list of clusters");
        }

        var max = spec.RemediationStrategy?.MaxConcurrency ?? 0;
        var computed = max > 0 && max < clusters.Count ? max : clusters.Count;
        var reconcile = false;
        if (computed != (ctx.Status.ComputedMaxConcurrency ?? 0))
        {
            // The reference writes this change on its own and reconciles again.
            ctx.Status.ComputedMaxConcurrency = computed;
            ctx.UpdateStatus();
            reconcile = true;
        }
        return new(clusters, [], reconcile, null);
    }

    private static string? InvalidOperator(LabelSelector selector)
    {
        foreach (var r in selector.MatchExpressions ?? [])
        {
            if (r.Operator is not ("In" or "NotIn" or "Exists" or "DoesNotExist"))
                return r.Operator;
        }
        return null;
    }
}
