namespace Talm.Engine.Internal;

/// <summary>Step 4: canaries first, one per batch, then the rest in batches of computedMaxConcurrency (§4.3).</summary>
internal static class RemediationPlan
{
    /// <summary>Clusters, in selection order, not compliant with at least one policy for upgrade.</summary>
    /// <param name="selected">The selection the policies were built with: a cluster's index is its slot.</param>
    public static List<string> Needing(List<string> selected, List<ManagedPolicy> policies)
    {
        var result = new List<string>();
        for (var i = 0; i < selected.Count; i++)
        {
            var cluster = selected[i];
            foreach (var p in policies)
            {
                if (!p.IsCompliantAt(i, cluster))
                {
                    result.Add(cluster);
                    break;
                }
            }
        }
        return result;
    }

    public static List<List<string>> Build(List<string> clusters, IReadOnlyList<string>? canaries, int batchSize)
    {
        var plan = new List<List<string>>();
        HashSet<string>? used = null;
        if (canaries is { Count: > 0 })
        {
            var inPlan = new HashSet<string>(clusters, StringComparer.Ordinal);
            used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var canary in canaries)
            {
                if (inPlan.Contains(canary) && used.Add(canary))
                    plan.Add([canary]);
            }
        }
        if (batchSize <= 0)
            batchSize = Math.Max(1, clusters.Count);
        List<string>? batch = null;
        foreach (var cluster in clusters)
        {
            if (used is not null && used.Contains(cluster))
                continue;
            if (batch is null || batch.Count == batchSize)
            {
                batch = new List<string>(Math.Min(batchSize, clusters.Count));
                plan.Add(batch);
            }
            batch.Add(cluster);
        }
        return plan;
    }

    /// <summary>How many leading batches are canary batches.</summary>
    public static int CanaryBatches(List<List<string>> plan, IReadOnlyList<string>? canaries)
    {
        if (canaries is null || canaries.Count == 0)
            return 0;
        var set = new HashSet<string>(canaries, StringComparer.Ordinal);
        var n = 0;
        while (n < plan.Count && plan[n].Count == 1 && set.Contains(plan[n][0]))
            n++;
        return n;
    }
}
