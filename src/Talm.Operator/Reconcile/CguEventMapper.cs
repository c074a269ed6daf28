using System.Text.Json;
using Talm.Operator.Kube;

namespace Talm.Operator.Reconcile;

/// <summary>
/// Which CGUs care about a change to some hub object, so that they are reconciled within seconds
/// instead of at the next poll. Over-approximates on purpose: an extra reconcile is cheap, a missed
/// one is a stuck CGU. Reads the CGU cache only.
/// </summary>
public sealed class CguEventMapper(ObjectCache cgus)
{
    public const string CguLabel = "openshift-cluster-group-upgrades/clusterGroupUpgrade";
    public const string CguNamespaceLabel = "openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace";

    public IEnumerable<string> KeysFor(InformerEvent change)
    {
        var obj = change.Object;
        if (change.Kind == ResourceKind.ClusterGroupUpgrade)
            return [obj.Key, .. Blocked(obj)];
        if (change.Kind == ResourceKind.ManagedCluster)
            return ForCluster(obj.Name);
        if (change.Kind == ResourceKind.ManagedClusterView || change.Kind == ResourceKind.ManagedClusterAction)
            return obj.Namespace is null ? [] : ForCluster(obj.Namespace, selectorsToo: false);
        if (change.Kind == ResourceKind.Policy)
            return ForPolicy(obj);
        if (change.Kind == ResourceKind.Placement || change.Kind == ResourceKind.PlacementBinding)
            return obj.Label(CguLabel) is { } cgu && obj.Label(CguNamespaceLabel) is { } ns ? [$"{ns}/{cgu}"] : [];
        return [];
    }

    /// <summary>CGUs that name the cluster anywhere (spec or status), and those selecting by labels.</summary>
    private IEnumerable<string> ForCluster(string cluster, bool selectorsToo = true)
    {
        foreach (var cgu in cgus.All())
        {
            var json = cgu.Json;
            if (Strings(json, "spec", "clusters").Contains(cluster, StringComparer.Ordinal) ||
                Strings(json, "spec", "remediationStrategy", "canaries").Contains(cluster, StringComparer.Ordinal) ||
                HasKey(json, cluster, "status", "backup", "status") ||
                HasKey(json, cluster, "status", "precaching", "status") ||
                HasKey(json, cluster, "status", "status", "currentBatchRemediationProgress") ||
                InPlan(json, cluster) ||
                (selectorsToo && SelectsByLabels(json)))
                yield return cgu.Key;
        }
    }

    private IEnumerable<string> ForPolicy(KubeObject policy)
    {
        // A child policy is "<root namespace>.<root name>" in a cluster namespace; namespaces have no dots.
        var dot = policy.Name.IndexOf('.', StringComparison.Ordinal);
        var rootName = dot > 0 ? policy.Name[(dot + 1)..] : policy.Name;
        foreach (var cgu in cgus.All())
        {
            var managed = Strings(cgu.Json, "spec", "managedPolicies");
            if (managed.Contains(rootName, StringComparer.Ordinal) || managed.Contains(policy.Name, StringComparer.Ordinal))
                yield return cgu.Key;
        }
    }

    /// <summary>CGUs that list the changed CGU in blockingCRs.</summary>
    private IEnumerable<string> Blocked(KubeObject changed)
    {
        foreach (var cgu in cgus.All())
        {
            if (!TryGet(cgu.Json, out var blocking, "spec", "blockingCRs") || blocking.ValueKind != JsonValueKind.Array) continue;
            foreach (var cr in blocking.EnumerateArray())
            {
                var name = cr.TryGetProperty("name", out var n) ? n.GetString() : null;
                var ns = cr.TryGetProperty("namespace", out var s) ? s.GetString() : null;
                if (name == changed.Name && (ns ?? cgu.Namespace) == changed.Namespace)
                {
                    yield return cgu.Key;
                    break;
                }
            }
        }
    }

    private static bool SelectsByLabels(JsonElement cgu) =>
        (TryGet(cgu, out var selectors, "spec", "clusterLabelSelectors") && selectors.ValueKind == JsonValueKind.Array && selectors.GetArrayLength() > 0) ||
        Strings(cgu, "spec", "clusterSelector").Count > 0;

    private static bool InPlan(JsonElement cgu, string cluster)
    {
        if (!TryGet(cgu, out var plan, "status", "remediationPlan") || plan.ValueKind != JsonValueKind.Array) return false;
        foreach (var batch in plan.EnumerateArray())
            if (batch.ValueKind == JsonValueKind.Array && batch.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.String && c.GetString() == cluster))
                return true;
        return false;
    }

    private static bool HasKey(JsonElement json, string key, params string[] path) =>
        TryGet(json, out var map, path) && map.ValueKind == JsonValueKind.Object && map.TryGetProperty(key, out _);

    private static List<string> Strings(JsonElement json, params string[] path)
    {
        if (!TryGet(json, out var array, path) || array.ValueKind != JsonValueKind.Array) return [];
        return [.. array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)];
    }

    private static bool TryGet(JsonElement json, out JsonElement found, params string[] path)
    {
        found = json;
        foreach (var step in path)
        {
            if (found.ValueKind != JsonValueKind.Object || !found.TryGetProperty(step, out found)) return false;
        }
        return true;
    }
}
