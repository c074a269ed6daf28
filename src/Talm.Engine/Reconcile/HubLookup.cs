using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Api.Work;
using Talm.Engine.Model;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The snapshot indexed on first use, plus what this decision itself created or deleted, so that a
/// later step of the same reconcile reads its own writes as the reference's client does.
/// </summary>
internal sealed class HubLookup(HubSnapshot snapshot)
{
    private Dictionary<string, ManagedCluster>? _clusters;
    private Dictionary<(string, string), Policy>? _policies;
    private Dictionary<string, List<Policy>>? _childrenByNamespace;
    private Dictionary<(string, string), ManagedClusterView>? _views;
    private HashSet<(string, string)>? _actions;
    private Dictionary<(string, string), Placement>? _placements;
    private Dictionary<(string, string), PlacementBinding>? _bindings;
    private Dictionary<(string, string), ManifestWork>? _works;
    private Dictionary<(string, string), ManifestWorkReplicaSet>? _templates;
    private Dictionary<(string, string), ClusterGroupUpgrade>? _cgus;
    private readonly Dictionary<Policy, Compliance> _compliance = new(ReferenceEqualityComparer.Instance);

    public IReadOnlyList<ManagedCluster> AllClusters => snapshot.ManagedClusters;

    public ManagedCluster? Cluster(string name)
    {
        if (_clusters is null)
        {
            // The last of a name wins, as a re-listed cluster would.
            _clusters = new Dictionary<string, ManagedCluster>(snapshot.ManagedClusters.Count, StringComparer.Ordinal);
            foreach (var c in snapshot.ManagedClusters)
                _clusters[c.Name] = c;
        }
        return _clusters.GetValueOrDefault(name);
    }

    public Policy? Policy(string ns, string name) => Policies.GetValueOrDefault((ns, name));

    /// <summary>Child policies in a cluster's namespace (labelled with their root; not copies made for a CGU).</summary>
    public IReadOnlyList<Policy> ChildPolicies(string clusterNamespace)
    {
        if (_childrenByNamespace is null)
        {
            _childrenByNamespace = new Dictionary<string, List<Policy>>(StringComparer.Ordinal);
            foreach (var p in snapshot.Policies)
            {
                var labels = p.Metadata.Labels;
                if (labels is null || labels.ContainsKey(HubNames.CguLabel) || !labels.ContainsKey(HubNames.ChildPolicyLabel))
                    continue;
                var ns = p.Metadata.Namespace ?? "";
                if (!_childrenByNamespace.TryGetValue(ns, out var list))
                    _childrenByNamespace[ns] = list = [];
                list.Add(p);
            }
        }
        return _childrenByNamespace.TryGetValue(clusterNamespace, out var found) ? found : [];
    }

    /// <summary>A cluster's compliance with a root policy as its status reports it, indexed once per policy.</summary>
    public Compliance ComplianceOf(Policy policy)
    {
        if (!_compliance.TryGetValue(policy, out var c))
            _compliance[policy] = c = new Compliance(policy);
        return c;
    }

    public ManagedClusterView? View(string ns, string name) => Views.GetValueOrDefault((ns, name));

    public bool ActionExists(string ns, string name) =>
        (_actions ??= snapshot.Actions.Select(a => (a.Metadata.Namespace ?? "", a.Metadata.Name ?? "")).ToHashSet()).Contains((ns, name));

    public Placement? Placement(string ns, string name) => Placements.GetValueOrDefault((ns, name));

    public PlacementBinding? Binding(string ns, string name) => Bindings.GetValueOrDefault((ns, name));

    public IEnumerable<Placement> PlacementsFor(ClusterGroupUpgrade cgu, string ns) =>
        Placements.Values.Where(p => p.Metadata.Namespace == ns && IsFor(p.Metadata, cgu)).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal);

    public IEnumerable<PlacementBinding> BindingsFor(ClusterGroupUpgrade cgu, string ns) =>
        Bindings.Values.Where(b => b.Metadata.Namespace == ns && IsFor(b.Metadata, cgu)).OrderBy(b => b.Metadata.Name, StringComparer.Ordinal);

    public ManifestWork? Work(string ns, string name) => Works.GetValueOrDefault((ns, name));

    public ManifestWorkReplicaSet? Template(string ns, string name) =>
        (_templates ??= Index(snapshot.ManifestWorkReplicaSets, t => t.Metadata)).GetValueOrDefault((ns, name));

    public ClusterGroupUpgrade? OtherCgu(string ns, string name) =>
        (_cgus ??= Index(snapshot.OtherCgus, c => c.Metadata)).GetValueOrDefault((ns, name));

    /// <summary>This decision created or replaced <paramref name="body"/>: later reads see it.</summary>
    public void Wrote(IKubeObject body)
    {
        var key = (body.Metadata.Namespace ?? "", body.Metadata.Name ?? "");
        switch (body)
        {
            case Placement p: Placements[key] = p; break;
            case PlacementBinding b: Bindings[key] = b; break;
            case ManagedClusterView v: Views[key] = v; break;
            case ManifestWork w: Works[key] = w; break;
            case ManagedClusterAction: (_actions ??= snapshot.Actions.Select(a => (a.Metadata.Namespace ?? "", a.Metadata.Name ?? "")).ToHashSet()).Add(key); break;
        }
    }

    /// <summary>This decision deleted the object: later reads do not see it.</summary>
    public void Deleted(KindInfo kind, string ns, string name)
    {
        var key = (ns, name);
        if (kind == Kinds.Placement) Placements.Remove(key);
        else if (kind == Kinds.PlacementBinding) Bindings.Remove(key);
        else if (kind == Kinds.ManagedClusterView) Views.Remove(key);
        else if (kind == Kinds.ManifestWork) Works.Remove(key);
        else if (kind == Kinds.ManagedClusterAction) _actions?.Remove(key);
    }

    /// <summary>This decision deleted every object of the kind in <paramref name="ns"/> carrying the CGU's labels.</summary>
    public void DeletedAllFor(KindInfo kind, string ns, ClusterGroupUpgrade cgu)
    {
        if (kind == Kinds.Placement) RemoveWhere(Placements, ns, p => IsFor(p.Metadata, cgu));
        else if (kind == Kinds.PlacementBinding) RemoveWhere(Bindings, ns, b => IsFor(b.Metadata, cgu));
        else if (kind == Kinds.ManagedClusterView) RemoveWhere(Views, ns, v => IsFor(v.Metadata, cgu));
        else if (kind == Kinds.ManifestWork) RemoveWhere(Works, ns, w => IsFor(w.Metadata, cgu));
    }

    public static bool IsFor(ObjectMeta meta, ClusterGroupUpgrade cgu) =>
        meta.Label(HubNames.CguLabel) == cgu.Name && meta.Label(HubNames.CguNamespaceLabel) == cgu.Namespace;

    private Dictionary<(string, string), Policy> Policies => _policies ??= Index(snapshot.Policies, p => p.Metadata);
    private Dictionary<(string, string), ManagedClusterView> Views => _views ??= Index(snapshot.Views, v => v.Metadata);
    private Dictionary<(string, string), Placement> Placements => _placements ??= Index(snapshot.Placements, p => p.Metadata);
    private Dictionary<(string, string), PlacementBinding> Bindings => _bindings ??= Index(snapshot.PlacementBindings, b => b.Metadata);
    private Dictionary<(string, string), ManifestWork> Works => _works ??= Index(snapshot.ManifestWorks, w => w.Metadata);

    private static void RemoveWhere<T>(Dictionary<(string, string), T> map, string ns, Func<T, bool> match)
    {
        foreach (var key in map.Where(p => p.Key.Item1 == ns && match(p.Value)).Select(p => p.Key).ToList())
            map.Remove(key);
    }

    private static Dictionary<(string, string), T> Index<T>(IReadOnlyList<T> items, Func<T, ObjectMeta> meta)
    {
        var d = new Dictionary<(string, string), T>(items.Count);
        foreach (var item in items)
        {
            var m = meta(item);
            d[(m.Namespace ?? "", m.Name ?? "")] = item;
        }
        return d;
    }
}

/// <summary>
/// One root policy's status.status, indexed by cluster: Compliant, NonCompliant (also Pending or no
/// state), or not matched (the cluster is not listed). A policy without a status list treats every
/// cluster as NonCompliant, as the reference does.
/// </summary>
internal sealed class Compliance
{
    public const string Compliant = "Compliant";
    public const string NonCompliant = "NonCompliant";
    public const string NotMatched = "NotMatchedWithPolicy";

    private readonly Dictionary<string, string>? _byCluster;

    public Compliance(Policy policy)
    {
        var entries = policy.Status?.Status;
        if (entries is null)
            return;
        _byCluster = new Dictionary<string, string>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries)
        {
            // The first entry for a cluster that says Compliant, NonCompliant, Pending or nothing decides,
            // as the reference's scan stops there; an entry with any other word is passed over.
            if (e.ClusterName is null || _byCluster.ContainsKey(e.ClusterName))
                continue;
            var state = e.Compliant switch
            {
                Compliant => Compliant,
                NonCompliant or "Pending" or null => NonCompliant,
                _ => null,
            };
            if (state is not null)
                _byCluster[e.ClusterName] = state;
        }
    }

    public string Of(string cluster)
    {
        if (_byCluster is null)
            return NonCompliant;
        return _byCluster.TryGetValue(cluster, out var state) ? state : NotMatched;
    }
}
