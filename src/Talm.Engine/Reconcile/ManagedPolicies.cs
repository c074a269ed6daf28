using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>What checking the managed policies found.</summary>
internal sealed record PoliciesInfo(
    List<string> Missing,
    List<string> Invalid,
    List<Policy> Present,
    List<Policy> Compliant,
    SortedDictionary<string, List<string>> Duplicated)
{
    public static readonly PoliciesInfo Empty = new([], [], [], [], new(StringComparer.Ordinal));

    public bool AllExist { get; init; }
}

/// <summary>
/// Finds each managed policy through its child policies in the CGU's clusters: ignored when RHACM
/// enforces it, missing without a child or root, invalid on hub templates or a malformed template,
/// compliant-before when every cluster already complies (and no object states a status), otherwise
/// for upgrade. A name whose children point at two root namespaces is ambiguous.
/// </summary>
internal static class ManagedPolicies
{
    public static PoliciesInfo Check(ReconcileContext ctx, List<string> clusters)
    {
        var rootNamespace = new Dictionary<string, string>(StringComparer.Ordinal);
        var namespaces = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var enforced = new HashSet<string>(StringComparer.Ordinal);
        var hubTemplates = new HashSet<string>(StringComparer.Ordinal);
        // Every cluster's child of a root has the same name: split each name once, not once per cluster.
        var roots = new Dictionary<string, (string Ns, string Name)?>(StringComparer.Ordinal);
        foreach (var cluster in clusters)
        {
            foreach (var child in ctx.Hub.ChildPolicies(cluster))
            {
                var childName = child.Metadata.Name ?? "";
                if (!roots.TryGetValue(childName, out var root))
                {
                    var dot = childName.IndexOf('.', StringComparison.Ordinal);
                    roots[childName] = root = dot < 0 ? null : (childName[..dot], childName[(dot + 1)..]);
                }
                if (root is not var (ns, name))
                    continue;
                if (string.Equals(child.Spec.RemediationAction, "enforce", StringComparison.OrdinalIgnoreCase))
                {
                    enforced.Add(name);
                    continue;
                }
                foreach (var template in child.Spec.PolicyTemplates ?? [])
                {
                    // Read in place: one string per child policy is tens of MB per decision at fleet scale.
                    if (template.ObjectDefinition is { } def && System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(def).IndexOf("{{hub"u8) >= 0)
                        hubTemplates.Add(name);
                }
                rootNamespace[name] = ns;
                if (!namespaces.TryGetValue(name, out var list))
                    namespaces[name] = list = [];
                if (!list.Contains(ns))
                    list.Add(ns);
            }
        }

        var duplicated = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, list) in namespaces)
        {
            if (list.Count > 1)
                duplicated[name] = [.. list.Order(StringComparer.Ordinal)];
        }
        if (duplicated.Count > 0)
            return PoliciesInfo.Empty with { Duplicated = duplicated };

        var info = new PoliciesInfo([], [], [], [], duplicated);
        var forUpgrade = new List<NamespacedName>();
        var compliantBefore = new List<string>();
        var status = ctx.Status;
        status.ManagedPoliciesNs = new Dictionary<string, string>(StringComparer.Ordinal);
        status.ManagedPoliciesContent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in ctx.Spec.ManagedPolicies ?? [])
        {
            if (enforced.Contains(name))
                continue;
            if (!rootNamespace.TryGetValue(name, out var ns))
            {
                info.Missing.Add(name);
                continue;
            }
            var root = ctx.Hub.Policy(ns, name);
            if (root is null)
            {
                info.Missing.Add(name);
                continue;
            }
            if (hubTemplates.Contains(name))
            {
                info.Invalid.Add(name);
                continue;
            }
            var (containsStatus, error) = PolicyObjects.Inspect(root);
            if (error is not null)
            {
                info.Invalid.Add(name);
                continue;
            }
            if (!containsStatus && AllCompliant(ctx, clusters, root))
            {
                compliantBefore.Add(name);
                info.Compliant.Add(root);
                continue;
            }
            forUpgrade.Add(new NamespacedName(name, ns));
            info.Present.Add(root);
            status.ManagedPoliciesNs[name] = ns;
        }
        // As in the reference, the lists are replaced only when there is something to put in them.
        if (forUpgrade.Count > 0)
            status.ManagedPoliciesForUpgrade = forUpgrade;
        if (compliantBefore.Count > 0)
            status.ManagedPoliciesCompliantBeforeUpgrade = compliantBefore;
        return info with { AllExist = info.Missing.Count == 0 && info.Invalid.Count == 0 };
    }

    private static bool AllCompliant(ReconcileContext ctx, List<string> clusters, Policy root)
    {
        var compliance = ctx.Hub.ComplianceOf(root);
        foreach (var cluster in clusters)
        {
            if (compliance.Of(cluster) != Compliance.Compliant)
                return false;
        }
        return true;
    }
}
