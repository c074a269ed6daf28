using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

/// <summary>The snapshot indexed once per decision, so every later lookup is O(1).</summary>
internal sealed class HubIndex
{
    private readonly Dictionary<(string Ns, string Name), ManagedClusterView> _views;
    private readonly Dictionary<(string Ns, string Name), ManagedClusterAction> _actions;
    private readonly Dictionary<(string Ns, string Name), Placement> _placements;
    private readonly Dictionary<(string Ns, string Name), PlacementBinding> _bindings;
    private readonly Dictionary<(string Ns, string Name), ClusterGroupUpgrade> _cgus;

    public HubIndex(HubSnapshot snapshot)
    {
        Clusters = new Dictionary<string, ManagedCluster>(snapshot.ManagedClusters.Count, StringComparer.Ordinal);
        foreach (var c in snapshot.ManagedClusters)
            Clusters[c.Name] = c;

        RootPolicies = new Dictionary<(string, string), Policy>();
        ChildPolicies = new Dictionary<string, List<ChildPolicy>>(StringComparer.Ordinal);
        foreach (var p in snapshot.Policies)
        {
            var ns = p.Metadata.Namespace ?? "";
            var name = p.Metadata.Name ?? "";
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            // Namespaces cannot hold a dot, so "<root-ns>.<root-name>" in a cluster namespace is a child.
            if (dot > 0 && Clusters.ContainsKey(ns))
            {
                var rootName = name[(dot + 1)..];
                if (!ChildPolicies.TryGetValue(rootName, out var list))
                    ChildPolicies[rootName] = list = [];
                list.Add(new ChildPolicy(ns, name[..dot], p));
            }
            else
            {
                RootPolicies[(ns, name)] = p;
            }
        }

        _views = Index(snapshot.Views, v => v.Metadata);
        _actions = Index(snapshot.Actions, a => a.Metadata);
        _placements = Index(snapshot.Placements, p => p.Metadata);
        _bindings = Index(snapshot.PlacementBindings, b => b.Metadata);
        _cgus = Index(snapshot.OtherCgus, c => c.Metadata);
    }

    public Dictionary<string, ManagedCluster> Clusters { get; }

    public Dictionary<(string Ns, string Name), Policy> RootPolicies { get; }

    /// <summary>Child policies by root policy name.</summary>
    public Dictionary<string, List<ChildPolicy>> ChildPolicies { get; }

    public ManagedClusterView? View(string ns, string name) => _views.GetValueOrDefault((ns, name));

    public ManagedClusterAction? Action(string ns, string name) => _actions.GetValueOrDefault((ns, name));

    public Placement? Placement(string ns, string name) => _placements.GetValueOrDefault((ns, name));

    public PlacementBinding? Binding(string ns, string name) => _bindings.GetValueOrDefault((ns, name));

    public ClusterGroupUpgrade? Cgu(string ns, string name) => _cgus.GetValueOrDefault((ns, name));

    public IEnumerable<Placement> PlacementsLabelled(string label, string value) =>
        _placements.Values.Where(p => p.Metadata.Label(label) == value);

    public IEnumerable<PlacementBinding> BindingsLabelled(string label, string value) =>
        _bindings.Values.Where(p => p.Metadata.Label(label) == value);

    private static Dictionary<(string, string), T> Index<T>(IReadOnlyList<T> items, Func<T, Api.Meta.ObjectMeta> meta)
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

internal sealed record ChildPolicy(string ClusterNamespace, string RootNamespace, Policy Policy);
