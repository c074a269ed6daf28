using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

/// <summary>
/// The snapshot indexed once per decision, so every later lookup is O(1). Indexes are built on first
/// use: a decision that never reads views does not pay for 20,000 of them.
/// </summary>
internal sealed class HubIndex
{
    private readonly HubSnapshot _snapshot;
    private Dictionary<string, Dictionary<string, ManagedClusterView>>? _viewsByName;
    private Dictionary<(string Ns, string Name), Placement>? _placements;
    private Dictionary<(string Ns, string Name), PlacementBinding>? _bindings;
    private Dictionary<(string Ns, string Name), ClusterGroupUpgrade>? _cgus;

    public HubIndex(HubSnapshot snapshot)
    {
        _snapshot = snapshot;
        Clusters = new Dictionary<string, ManagedCluster>(snapshot.ManagedClusters.Count, StringComparer.Ordinal);
        foreach (var c in snapshot.ManagedClusters)
            Clusters[c.Name] = c;

        // Only children of the CGU's managed policies matter; match "<root-ns>.<name>" without allocating substrings.
        var managed = new Dictionary<string, List<ChildPolicy>>(StringComparer.Ordinal);
        // One child per bound cluster is the common case: size for it to avoid regrowing 10,000-entry lists.
        foreach (var name in snapshot.Cgu.Spec.ManagedPolicies ?? [])
            managed.TryAdd(name, new List<ChildPolicy>(Clusters.Count));
        var byName = managed.GetAlternateLookup<ReadOnlySpan<char>>();
        RootPolicies = [];
        foreach (var p in snapshot.Policies)
        {
            var ns = p.Metadata.Namespace ?? "";
            var name = p.Metadata.Name ?? "";
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            // Namespaces cannot hold a dot, so "<root-ns>.<root-name>" in a cluster namespace is a child.
            if (dot > 0 && Clusters.ContainsKey(ns))
            {
                if (byName.TryGetValue(name.AsSpan(dot + 1), out var list))
                    list.Add(new ChildPolicy(ns, p, dot));
            }
            else
            {
                RootPolicies[(ns, name)] = p;
            }
        }
        ChildPolicies = managed;
    }

    public Dictionary<string, ManagedCluster> Clusters { get; }

    public Dictionary<(string Ns, string Name), Policy> RootPolicies { get; }

    /// <summary>Child policies of the CGU's managed policies, by root policy name.</summary>
    public Dictionary<string, List<ChildPolicy>> ChildPolicies { get; }

    public ManagedClusterView? View(string ns, string name) => ViewsNamed(name).GetValueOrDefault(ns);

    private static readonly Dictionary<string, ManagedClusterView> NoViews = [];

    /// <summary>Views with a given name, by namespace (= cluster). Views come in a few fixed names, one per cluster.</summary>
    public Dictionary<string, ManagedClusterView> ViewsNamed(string name)
    {
        if (_viewsByName is null)
        {
            var byName = new Dictionary<string, Dictionary<string, ManagedClusterView>>(StringComparer.Ordinal);
            string? lastName = null;
            Dictionary<string, ManagedClusterView>? last = null;
            foreach (var v in _snapshot.Views)
            {
                var n = v.Metadata.Name ?? "";
                if (last is null || !string.Equals(n, lastName, StringComparison.Ordinal))
                {
                    if (!byName.TryGetValue(n, out last))
                        byName[n] = last = new Dictionary<string, ManagedClusterView>(StringComparer.Ordinal);
                    lastName = n;
                }
                last[v.Metadata.Namespace ?? ""] = v;
            }
            _viewsByName = byName;
        }
        return _viewsByName.TryGetValue(name, out var d) ? d : NoViews;
    }

    public Placement? Placement(string ns, string name) => Placements.GetValueOrDefault((ns, name));

    public PlacementBinding? Binding(string ns, string name) => Bindings.GetValueOrDefault((ns, name));

    public ClusterGroupUpgrade? Cgu(string ns, string name) => (_cgus ??= Index(_snapshot.OtherCgus, c => c.Metadata)).GetValueOrDefault((ns, name));

    public IEnumerable<Placement> PlacementsLabelled(string label, string value) =>
        Placements.Values.Where(p => p.Metadata.Label(label) == value);

    public IEnumerable<PlacementBinding> BindingsLabelled(string label, string value) =>
        Bindings.Values.Where(p => p.Metadata.Label(label) == value);

    private Dictionary<(string Ns, string Name), Placement> Placements => _placements ??= Index(_snapshot.Placements, p => p.Metadata);

    private Dictionary<(string Ns, string Name), PlacementBinding> Bindings => _bindings ??= Index(_snapshot.PlacementBindings, b => b.Metadata);

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

/// <summary>A child policy "&lt;root-ns&gt;.&lt;name&gt;" in a cluster namespace; the root namespace is read without allocating.</summary>
internal readonly record struct ChildPolicy(string ClusterNamespace, Policy Policy, int Dot)
{
    public ReadOnlySpan<char> RootNamespace => Policy.Metadata.Name.AsSpan(0, Dot);
}
