using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Internal;

/// <summary>Step 5: one Placement and PlacementBinding per policy for upgrade (§4.4).</summary>
internal static class Placements
{
    /// <summary>The generated name for a policy's Placement/PlacementBinding, kept in safeResourceNames.</summary>
    public static string SafeName(DecisionContext ctx, string policy, string ns)
    {
        var desired = $"{ctx.Cgu.Name}-{policy}-placement".ToLowerInvariant();
        var key = $"{ns}/{desired}";
        var names = ctx.Status.SafeResourceNames ??= new Dictionary<string, string>(StringComparer.Ordinal);
        if (names.TryGetValue(key, out var existing))
            return existing;
        var suffix = ctx.Cgu.Metadata.Annotation(Api.Cgu.ClusterGroupUpgrade.NameSuffixAnnotation);
        if (string.IsNullOrEmpty(suffix))
            suffix = ctx.Suffixes.Next();
        var budget = Math.Max(1, Names.MaxGeneratedNameLength - suffix.Length - ns.Length - 1);
        var stem = desired.Length > budget ? desired[..budget] : desired;
        while (stem.Length > 1 && !(char.IsAsciiLetterOrDigit(stem[^1]) || stem[^1] == '-'))
            stem = stem[..^1];
        var name = $"{stem}-{suffix}";
        names[key] = name;
        return name;
    }

    /// <summary>Creates missing Placements/PlacementBindings and updates any whose cluster list differs.</summary>
    /// <param name="clustersPerPolicy">Cluster names for each policy's Placement (null = none yet).</param>
    public static void Ensure(DecisionContext ctx, List<ManagedPolicy> policies, List<string>?[]? clustersPerPolicy)
    {
        var placementNames = new List<string>(policies.Count);
        for (var i = 0; i < policies.Count; i++)
        {
            var policy = policies[i];
            var name = SafeName(ctx, policy.Name, policy.Namespace);
            placementNames.Add(name);
            var clusters = clustersPerPolicy?[i] ?? [];
            var existing = ctx.Index.Placement(policy.Namespace, name);
            if (existing is null)
                ctx.Create(Placement(ctx, policy, name, clusters));
            else if (!SameClusters(existing, clusters))
                ctx.Update(Placement(ctx, policy, name, clusters));
            if (ctx.Index.Binding(policy.Namespace, name) is null)
                ctx.Create(Binding(ctx, policy, name));
        }
        ctx.Status.Placements = placementNames.Count == 0 ? null : placementNames;
        ctx.Status.PlacementBindings = placementNames.Count == 0 ? null : [.. placementNames];
    }

    /// <summary>Every (namespace, name) this CGU generated, from safeResourceNames and from labels.</summary>
    public static SortedSet<(string Ns, string Name)> Generated(DecisionContext ctx)
    {
        var set = new SortedSet<(string, string)>();
        foreach (var (key, name) in ctx.Status.SafeResourceNames ?? [])
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0)
                set.Add((key[..slash], name));
        }
        foreach (var p in ctx.Index.PlacementsLabelled(Names.CguLabel, ctx.Cgu.Name))
        {
            if (p.Metadata.Label(Names.CguNamespaceLabel) == ctx.Cgu.Namespace)
                set.Add((p.Metadata.Namespace ?? "", p.Metadata.Name ?? ""));
        }
        foreach (var b in ctx.Index.BindingsLabelled(Names.CguLabel, ctx.Cgu.Name))
        {
            if (b.Metadata.Label(Names.CguNamespaceLabel) == ctx.Cgu.Namespace)
                set.Add((b.Metadata.Namespace ?? "", b.Metadata.Name ?? ""));
        }
        return set;
    }

    public static void DeleteAll(DecisionContext ctx)
    {
        foreach (var (ns, name) in Generated(ctx))
        {
            ctx.Delete(Kinds.PlacementBinding, ns, name);
            ctx.Delete(Kinds.Placement, ns, name);
        }
    }

    private static bool SameClusters(Placement existing, List<string> clusters)
    {
        var values = existing.Spec.Predicates is { Count: > 0 } preds
            ? preds[0].RequiredClusterSelector?.LabelSelector?.MatchExpressions is { Count: > 0 } exprs ? exprs[0].Values : null
            : null;
        values ??= [];
        if (values.Count != clusters.Count)
            return false;
        for (var i = 0; i < clusters.Count; i++)
        {
            if (values[i] != clusters[i])
                return false;
        }
        return true;
    }

    private static Dictionary<string, string> Labels(DecisionContext ctx) => new(StringComparer.Ordinal)
    {
        [Names.AppLabel] = Names.AppLabelValue,
        [Names.CguLabel] = ctx.Cgu.Name,
        [Names.CguNamespaceLabel] = ctx.Cgu.Namespace,
        [Names.VeleroExcludeLabel] = "true",
    };

    private static Placement Placement(DecisionContext ctx, ManagedPolicy policy, string name, List<string> clusters)
    {
        var labels = Labels(ctx);
        labels[Names.ForPolicyLabel] = policy.Name;
        return new Placement
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = policy.Namespace,
                Labels = labels,
                Annotations = new Dictionary<string, string> { [Names.ResourceNameAnnotation] = RName(ctx, policy) },
            },
            Spec = new PlacementSpec
            {
                Predicates =
                [
                    new PlacementPredicate
                    {
                        RequiredClusterSelector = new ClusterSelector
                        {
                            LabelSelector = new LabelSelector
                            {
                                MatchExpressions = [new LabelSelectorRequirement { Key = "name", Operator = "In", Values = [.. clusters] }],
                            },
                        },
                    },
                ],
                Tolerations =
                [
                    new PlacementToleration { Key = Names.UnavailableTaint, Operator = "Exists" },
                    new PlacementToleration { Key = Names.UnreachableTaint, Operator = "Exists" },
                ],
            },
        };
    }

    private static PlacementBinding Binding(DecisionContext ctx, ManagedPolicy policy, string name) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            Namespace = policy.Namespace,
            Labels = Labels(ctx),
            Annotations = new Dictionary<string, string> { [Names.ResourceNameAnnotation] = RName(ctx, policy) },
        },
        PlacementRef = new PlacementSubject { Name = name, Kind = Kinds.Placement.Kind, ApiGroup = Kinds.Placement.Group },
        Subjects = [new PlacementSubject { Name = policy.Name, Kind = Kinds.Policy.Kind, ApiGroup = Kinds.Policy.Group }],
        SubFilter = "restricted",
        BindingOverrides = new BindingOverrides { RemediationAction = "enforce" },
    };

    private static string RName(DecisionContext ctx, ManagedPolicy policy) =>
        $"{policy.Namespace}/{$"{ctx.Cgu.Name}-{policy.Name}-placement".ToLowerInvariant()}";
}
