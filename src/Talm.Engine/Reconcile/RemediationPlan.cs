using Talm.Api.Cgu;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The batches: each canary that needs remediation alone, in the canaries' order, then the other
/// clusters that need it in selection order, computedMaxConcurrency at a time.
/// </summary>
internal static class RemediationPlan
{
    /// <summary>Writes status.remediationPlan; returns the clusters left out because they need nothing.</summary>
    public static List<string> Build(ReconcileContext ctx, List<string> clusters, IReadOnlyList<Policy> policies)
    {
        var compliant = new List<string>();
        var needs = NeedingRemediation(ctx, clusters, policies);
        var plan = new List<List<string>>();
        var canaries = new HashSet<string>(StringComparer.Ordinal);
        foreach (var canary in ctx.Spec.RemediationStrategy?.Canaries ?? [])
        {
            if (needs.Contains(canary))
            {
                plan.Add([canary]);
                canaries.Add(canary);
            }
            else if (Deviations.CanaryCountsAsComplete(canary, clusters))
            {
                compliant.Add(canary);
            }
        }
        var max = ctx.Status.ComputedMaxConcurrency ?? 0;
        List<string>? batch = null;
        var count = 0;
        for (var i = 0; i < clusters.Count; i++)
        {
            var cluster = clusters[i];
            if (!canaries.Contains(cluster))
            {
                if (needs.Contains(cluster))
                {
                    (batch ??= []).Add(cluster);
                    count++;
                }
                else
                {
                    compliant.Add(cluster);
                }
            }
            if ((count == max || i == clusters.Count - 1) && batch is { Count: > 0 })
            {
                plan.Add(batch);
                count = 0;
                batch = null;
            }
        }
        ctx.Status.RemediationPlan = plan.Count == 0 ? null : plan;
        return compliant;
    }

    /// <summary>Every cluster in the plan, batch after batch.</summary>
    public static List<string> Clusters(ClusterGroupUpgradeStatus status) =>
        status.RemediationPlan is null ? [] : [.. status.RemediationPlan.SelectMany(b => b)];

    /// <summary>Clusters NonCompliant with at least one policy (a rollout of ManifestWorks needs all of them).</summary>
    private static HashSet<string> NeedingRemediation(ReconcileContext ctx, List<string> clusters, IReadOnlyList<Policy> policies)
    {
        var needs = new HashSet<string>(StringComparer.Ordinal);
        if (policies.Count > 0)
        {
            var compliance = policies.Select(ctx.Hub.ComplianceOf).ToList();
            foreach (var cluster in clusters)
            {
                foreach (var c in compliance)
                {
                    if (c.Of(cluster) == Compliance.NonCompliant)
                    {
                        needs.Add(cluster);
                        break;
                    }
                }
            }
        }
        else if (ctx.Spec.ManifestWorkTemplates is { Count: > 0 })
        {
            needs.UnionWith(clusters);
        }
        return needs;
    }
}
