using Talm.Api.Rhacm;

namespace Talm.Engine.Internal;

/// <summary>A managed policy for upgrade with its per-cluster compliance indexed (hub-protocol §4.1).</summary>
internal sealed class ManagedPolicy
{
    private readonly Dictionary<string, string?>? _compliance;

    public ManagedPolicy(string name, string ns, Policy? root)
    {
        Name = name;
        Namespace = ns;
        Root = root;
        var entries = root?.Status?.Status;
        if (entries is not null)
        {
            _compliance = new Dictionary<string, string?>(entries.Count, StringComparer.Ordinal);
            foreach (var e in entries)
            {
                if (e.ClusterName is not null)
                    _compliance[e.ClusterName] = e.Compliant;
            }
        }
    }

    public string Name { get; }
    public string Namespace { get; }
    public Policy? Root { get; }

    /// <summary>Compliant, or not matched to the cluster at all (then nothing to remediate).</summary>
    public bool IsCompliant(string cluster)
    {
        if (_compliance is null)
            return false;
        return !_compliance.TryGetValue(cluster, out var state) || state == ComplianceStates.Compliant;
    }
}
