using Talm.Api.Rhacm;

namespace Talm.Engine.Internal;

/// <summary>A managed policy for upgrade with its per-cluster compliance indexed (hub-protocol §4.1).</summary>
internal sealed class ManagedPolicy
{
    private const byte NotMatched = 0, Compliant = 1, NotCompliant = 2;

    private readonly bool _hasStatus;
    private readonly Dictionary<string, int>? _slots;
    private readonly byte[]? _bySlot;
    private readonly Dictionary<string, string?>? _byName;

    /// <param name="slots">Positions of the selected clusters: compliance is then kept in a byte per cluster.</param>
    /// <param name="order">The selected clusters by position (the inverse of <paramref name="slots"/>), when known.</param>
    public ManagedPolicy(string name, string ns, Policy? root, Dictionary<string, int>? slots, List<string>? order = null)
    {
        Name = name;
        Namespace = ns;
        Root = root;
        var entries = root?.Status?.Status;
        _hasStatus = entries is not null;
        if (entries is null)
            return;
        if (slots is not null)
        {
            _slots = slots;
            _bySlot = new byte[slots.Count];
            var last = -1;
            foreach (var e in entries)
            {
                if (e.ClusterName is null)
                    continue;
                // Status entries usually follow the selection order: try the next position before hashing the name.
                var slot = last + 1;
                if (order is null || slot >= order.Count || !string.Equals(order[slot], e.ClusterName, StringComparison.Ordinal))
                {
                    if (!slots.TryGetValue(e.ClusterName, out slot))
                        continue;
                }
                _bySlot[slot] = e.Compliant == ComplianceStates.Compliant ? Compliant : NotCompliant;
                last = slot;
            }
        }
        else
        {
            _byName = new Dictionary<string, string?>(entries.Count, StringComparer.Ordinal);
            foreach (var e in entries)
            {
                if (e.ClusterName is not null)
                    _byName[e.ClusterName] = e.Compliant;
            }
        }
    }

    public string Name { get; }
    public string Namespace { get; }
    public Policy? Root { get; }

    /// <summary>Compliant, or not matched to the cluster at all (then nothing to remediate).</summary>
    public bool IsCompliant(string cluster)
    {
        if (!_hasStatus)
            return false;
        if (_bySlot is not null)
            return !_slots!.TryGetValue(cluster, out var slot) || _bySlot[slot] != NotCompliant;
        return !_byName!.TryGetValue(cluster, out var state) || state == ComplianceStates.Compliant;
    }

    /// <summary><see cref="IsCompliant(string)"/> for the cluster at <paramref name="slot"/> of the selection this policy was built with.</summary>
    public bool IsCompliantAt(int slot, string cluster)
    {
        if (!_hasStatus)
            return false;
        if (_bySlot is not null)
            return _bySlot[slot] != NotCompliant;
        return IsCompliant(cluster);
    }
}
