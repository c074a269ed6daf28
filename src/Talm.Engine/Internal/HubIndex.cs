using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

/// <summary>
/// The snapshot indexed once per decision, so every later lookup is O(1). Indexes are built on first
/// use. Once the clusters are selected (<see cref="Select"/>), per-cluster data is kept in arrays by
/// the cluster's position instead of name-keyed maps: a 10,000-cluster decision then allocates no
/// large-object-heap dictionaries per view name or policy.
/// </summary>
internal sealed class HubIndex(HubSnapshot snapshot)
{
    private Dictionary<string, int>? _slots;
    private List<string>? _order;
    private Dictionary<string, ViewColumn>? _viewsByName;
    private Dictionary<(string Ns, string Name), Policy>? _roots;
    private Dictionary<string, ChildSummary>? _children;
    private Dictionary<(string Ns, string Name), Placement>? _placements;
    private Dictionary<(string Ns, string Name), PlacementBinding>? _bindings;
    private Dictionary<(string Ns, string Name), ClusterGroupUpgrade>? _cgus;

    /// <summary>Position of each selected cluster; null before selection.</summary>
    public Dictionary<string, int>? Slots => _slots;

    /// <param name="order">The selected clusters by position: slots[order[i]] == i.</param>
    public void Select(Dictionary<string, int> slots, List<string> order)
    {
        _slots = slots;
        _order = order;
    }

    /// <summary>The cluster's slot, or -1 when it is not selected (or nothing is yet).</summary>
    public int SlotOf(string cluster) => _slots is not null && _slots.TryGetValue(cluster, out var slot) ? slot : -1;

    /// <summary><see cref="SlotOf(string)"/> for walks in selection order: the slot after <paramref name="last"/> is tried first.</summary>
    public int SlotOf(string cluster, ref int last)
    {
        if (_slots is null)
            return -1;
        var next = last + 1;
        if (_order is not null && next < _order.Count && string.Equals(_order[next], cluster, StringComparison.Ordinal))
            return last = next;
        if (!_slots.TryGetValue(cluster, out var slot))
            return -1;
        return last = slot;
    }

    /// <summary>Root policies by (namespace, name).</summary>
    public Dictionary<(string Ns, string Name), Policy> RootPolicies
    {
        get
        {
            if (_roots is null)
                ScanPolicies();
            return _roots!;
        }
    }

    /// <summary>Per managed policy name: the root namespaces of its children in selected clusters, and whether one is enforced.</summary>
    public Dictionary<string, ChildSummary> ChildPolicies
    {
        get
        {
            if (_children is null)
                ScanPolicies();
            return _children!;
        }
    }

    public ManagedClusterView? View(string ns, string name) => ViewsNamed(name).Get(this, ns);

    /// <summary>Views of one name (they come in a few fixed names, one per cluster namespace).</summary>
    public ViewColumn ViewsNamed(string name)
    {
        if (_viewsByName is null)
        {
            var byName = new Dictionary<string, ViewColumn>(StringComparer.Ordinal);
            // Views come in a few names, often alternating per cluster, and a cluster's views are often
            // next to each other: the last two columns and the last namespace's slot save most hashing.
            string? lastName = null, prevName = null;
            ViewColumn? last = null, prev = null;
            string? lastNs = null;
            var lastSlot = -1;
            foreach (var v in snapshot.Views)
            {
                var n = v.Metadata.Name ?? "";
                if (last is null || !string.Equals(n, lastName, StringComparison.Ordinal))
                {
                    if (prev is not null && string.Equals(n, prevName, StringComparison.Ordinal))
                    {
                        (prev, last) = (last, prev);
                        (prevName, lastName) = (lastName, prevName);
                    }
                    else
                    {
                        (prev, prevName) = (last, lastName);
                        if (!byName.TryGetValue(n, out last))
                            byName[n] = last = new ViewColumn(_slots?.Count ?? 0);
                        lastName = n;
                    }
                }
                var ns = v.Metadata.Namespace ?? "";
                if (lastNs is null || !string.Equals(ns, lastNs, StringComparison.Ordinal))
                {
                    lastNs = ns;
                    lastSlot = _slots is not null && _slots.TryGetValue(ns, out var found) ? found : -1;
                }
                last!.AddAt(lastSlot, ns, v);
            }
            _viewsByName = byName;
        }
        return _viewsByName.TryGetValue(name, out var column) ? column : ViewColumn.Empty;
    }

    public Placement? Placement(string ns, string name) => Placements.GetValueOrDefault((ns, name));

    public PlacementBinding? Binding(string ns, string name) => Bindings.GetValueOrDefault((ns, name));

    public ClusterGroupUpgrade? Cgu(string ns, string name) => (_cgus ??= Index(snapshot.OtherCgus, c => c.Metadata)).GetValueOrDefault((ns, name));

    public IEnumerable<Placement> PlacementsLabelled(string label, string value) =>
        Placements.Values.Where(p => p.Metadata.Label(label) == value);

    public IEnumerable<PlacementBinding> BindingsLabelled(string label, string value) =>
        Bindings.Values.Where(p => p.Metadata.Label(label) == value);

    private Dictionary<(string Ns, string Name), Placement> Placements => _placements ??= Index(snapshot.Placements, p => p.Metadata);

    private Dictionary<(string Ns, string Name), PlacementBinding> Bindings => _bindings ??= Index(snapshot.PlacementBindings, b => b.Metadata);

    /// <summary>
    /// One walk over all policies. A "&lt;root-ns&gt;.&lt;name&gt;" policy in a selected cluster's namespace is a
    /// child (namespaces cannot hold a dot); only children of the CGU's managed policies are looked at,
    /// without allocating substrings. Everything else is indexed as a possible root.
    /// </summary>
    private void ScanPolicies()
    {
        var children = new Dictionary<string, ChildSummary>(StringComparer.Ordinal);
        foreach (var name in snapshot.Cgu.Spec.ManagedPolicies ?? [])
            children.TryAdd(name, new ChildSummary());
        var byName = children.GetAlternateLookup<ReadOnlySpan<char>>();
        var roots = new Dictionary<(string, string), Policy>();
        // Children usually come one managed policy at a time, cluster after cluster: the last managed
        // name and the next cluster position are tried before hashing.
        string? lastManaged = null;
        ChildSummary? lastSummary = null;
        var lastSlot = -1;
        foreach (var p in snapshot.Policies)
        {
            var ns = p.Metadata.Namespace ?? "";
            var name = p.Metadata.Name ?? "";
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && SlotOf(ns, ref lastSlot) >= 0)
            {
                var managed = name.AsSpan(dot + 1);
                ChildSummary? summary;
                if (lastManaged is not null && managed.SequenceEqual(lastManaged))
                    summary = lastSummary;
                else if (byName.TryGetValue(managed, out var key, out summary))
                    (lastManaged, lastSummary) = (key, summary);
                else
                    summary = null;
                summary?.Add(name.AsSpan(0, dot), p.Spec.RemediationAction);
            }
            else
            {
                // Without a selection (frozen plan) every policy is indexed; roots are found by exact name.
                roots[(ns, name)] = p;
            }
        }
        _roots = roots;
        _children = children;
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

    /// <summary>Views of one name: an array by cluster slot, and a map for namespaces outside the selection.</summary>
    internal sealed class ViewColumn(int slots)
    {
        public static readonly ViewColumn Empty = new(0);

        private readonly ManagedClusterView?[] _bySlot = slots == 0 ? [] : new ManagedClusterView?[slots];
        private Dictionary<string, ManagedClusterView>? _others;

        /// <param name="slot">The namespace's slot in the selection, or -1 when it is not selected.</param>
        public void AddAt(int slot, string ns, ManagedClusterView view)
        {
            if (slot >= 0 && slot < _bySlot.Length)
                _bySlot[slot] = view;
            else
                (_others ??= new Dictionary<string, ManagedClusterView>(StringComparer.Ordinal))[ns] = view;
        }

        public ManagedClusterView? Get(HubIndex index, string ns)
        {
            if (index._slots is not null && index._slots.TryGetValue(ns, out var slot) && slot < _bySlot.Length)
                return _bySlot[slot];
            return _others?.GetValueOrDefault(ns);
        }

        /// <summary>Fast path when the caller already knows the slot.</summary>
        public ManagedClusterView? At(int slot, string ns) =>
            slot >= 0 && slot < _bySlot.Length ? _bySlot[slot] : _others?.GetValueOrDefault(ns);
    }
}

/// <summary>What the children of one managed policy say: their root namespaces (usually one) and whether one is enforced.</summary>
internal sealed class ChildSummary
{
    public List<string> RootNamespaces { get; } = new(1);
    public bool Enforced { get; private set; }

    public void Add(ReadOnlySpan<char> rootNamespace, string? remediationAction)
    {
        if (string.Equals(remediationAction, "enforce", StringComparison.OrdinalIgnoreCase))
            Enforced = true;
        foreach (var existing in RootNamespaces)
        {
            if (rootNamespace.SequenceEqual(existing))
                return;
        }
        RootNamespaces.Add(rootNamespace.ToString());
    }
}
