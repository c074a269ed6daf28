using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
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
        if (change.Kind == WatchedKind.ClusterGroupUpgrade)
            return ForCgu(change);
        if (change.Kind == WatchedKind.ManagedCluster)
            return ForCluster(obj.Name);
        // A view wakes CGUs when RHACM answers it (its status changes), as the reference's predicate
        // has it; a view just created has no answer to read yet. Actions are not watched by the
        // reference: the engine only asks whether one exists.
        if (change.Kind == WatchedKind.ManagedClusterView)
        {
            return change.Type == WatchEventType.Modified && obj.Namespace is not null && Part(change.Old, "status") != Part(change.New, "status")
                ? ForCluster(obj.Namespace, selectorsToo: false)
                : [];
        }

        if (change.Kind == WatchedKind.ManagedClusterAction)
            return [];
        if (change.Kind == WatchedKind.Policy)
            return ForPolicy(obj);
        if (change.Kind == WatchedKind.Placement || change.Kind == WatchedKind.PlacementBinding || change.Kind == WatchedKind.ManifestWork)
            return obj.Label(CguLabel) is { } cgu && obj.Label(CguNamespaceLabel) is { } ns ? [$"{ns}/{cgu}"] : [];
        if (change.Kind == WatchedKind.ManifestWorkReplicaSet)
            return ForTemplate(obj);
        return [];
    }

    /// <summary>CGUs that name the cluster anywhere (spec or status), and those selecting by labels.</summary>
    private IEnumerable<string> ForCluster(string cluster, bool selectorsToo = true)
    {
        foreach (var cgu in cgus.All())
        {
            var interest = InterestOf(cgu);
            if (interest.Clusters.Contains(cluster) || (selectorsToo && interest.SelectsByLabels))
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
            var managed = InterestOf(cgu).Policies;
            if (managed.Contains(rootName) || managed.Contains(policy.Name))
                yield return cgu.Key;
        }
    }

    // Every view or action event asks every CGU whether it names the cluster: with 10,000 clusters,
    // reading the CGU's JSON each time was most of the operator's CPU. Cached per CGU version.
    private static readonly ConditionalWeakTable<KubeObject, Interest> Interests = new();

    private static Interest InterestOf(KubeObject cgu) => Interests.GetValue(cgu, static c => Interest.Of(c.Json));

    /// <summary>What one CGU version refers to: clusters named anywhere, label selection, managed policies.</summary>
    private sealed class Interest
    {
        public HashSet<string> Clusters { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Policies { get; } = new(StringComparer.Ordinal);
        public bool SelectsByLabels { get; private init; }

        public static Interest Of(JsonElement json)
        {
            var interest = new Interest { SelectsByLabels = SelectsByLabels(json) };
            interest.Clusters.UnionWith(Strings(json, "spec", "clusters"));
            interest.Clusters.UnionWith(Strings(json, "spec", "remediationStrategy", "canaries"));
            foreach (var path in new[] { new[] { "status", "backup", "status" }, ["status", "precaching", "status"], ["status", "status", "currentBatchRemediationProgress"] })
            {
                if (TryGet(json, out var map, path) && map.ValueKind == JsonValueKind.Object)
                    foreach (var entry in map.EnumerateObject()) interest.Clusters.Add(entry.Name);
            }
            if (TryGet(json, out var plan, "status", "remediationPlan") && plan.ValueKind == JsonValueKind.Array)
            {
                foreach (var batch in plan.EnumerateArray().Where(b => b.ValueKind == JsonValueKind.Array))
                    interest.Clusters.UnionWith(batch.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.String).Select(c => c.GetString()!));
            }
            interest.Policies.UnionWith(Strings(json, "spec", "managedPolicies"));
            return interest;
        }
    }

    /// <summary>CGUs in the template's namespace that name it in manifestWorkTemplates.</summary>
    private IEnumerable<string> ForTemplate(KubeObject template)
    {
        foreach (var cgu in cgus.All())
        {
            if (cgu.Namespace == template.Namespace && Strings(cgu.Json, "spec", "manifestWorkTemplates").Contains(template.Name))
                yield return cgu.Key;
        }
    }

    /// <summary>
    /// The CGU itself when it appears, goes, or its spec (generation) or deletion changes, as the
    /// reference's predicate has it: its own status and metadata writes do not wake it. Those that list
    /// it in blockingCRs when its status changes (ours; the reference waits for its next requeue).
    /// </summary>
    private IEnumerable<string> ForCgu(InformerEvent change)
    {
        var (old, @new) = (change.Old, change.New);
        var appearedOrGone = old is null || @new is null;
        if (appearedOrGone || Meta(old, "generation") != Meta(@new, "generation") || Meta(old, "deletionTimestamp") != Meta(@new, "deletionTimestamp"))
            yield return change.Object.Key;
        if (appearedOrGone || Part(old, "status") != Part(@new, "status"))
        {
            foreach (var key in Blocked(change.Object)) yield return key;
        }
    }

    private static string Part(KubeObject? o, string name) =>
        o is not null && o.Json.TryGetProperty(name, out var v) ? v.GetRawText() : "";

    private static string Meta(KubeObject? o, string name) =>
        o is not null && o.Json.TryGetProperty("metadata", out var meta) && meta.TryGetProperty(name, out var v) ? v.GetRawText() : "";

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
