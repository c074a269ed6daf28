using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>
/// One Placement and PlacementBinding per policy for upgrade (the binding enforces the policy on the
/// clusters the Placement lists), their names in the status, and the cluster lists as batches run.
/// </summary>
internal static class PolicyResources
{
    /// <summary>reconcileResources: (re)write each policy's Placement (with no clusters) and binding, then list them in the status.</summary>
    public static void Reconcile(ReconcileContext ctx, IReadOnlyList<Policy> policies)
    {
        foreach (var policy in policies)
        {
            var name = PolicyName(policy);
            var ns = policy.Metadata.Namespace ?? "";
            var desired = SafeNames.ResourceName(ctx, $"{name}-placement");
            var safe = SafeNames.Get(ctx, desired, ns);
            var placement = NewPlacement(ctx, name, ns, safe, desired, []);
            Write(ctx, placement, ctx.Hub.Placement(ns, safe) is null);
            var binding = NewBinding(ctx, name, ns, safe, desired);
            Write(ctx, binding, ctx.Hub.Binding(ns, safe) is null);
        }
        RecordNames(ctx);
    }

    /// <summary>updateChildResourceNamesInStatus: status.placements/placementBindings from what exists; stale duplicates go.</summary>
    private static void RecordNames(ReconcileContext ctx)
    {
        var placements = new List<string>();
        var bindings = new List<string>();
        var names = ctx.Status.SafeResourceNames ??= new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var ns in TargetNamespaces(ctx.Status))
        {
            foreach (var p in ctx.Hub.PlacementsFor(ctx.Cgu, ns).ToList())
            {
                if (Keep(ctx, names, p.Metadata, Kinds.Placement))
                    placements.Add(p.Metadata.Name ?? "");
            }
            placements.Sort(StringComparer.Ordinal);
            ctx.Status.Placements = placements;
            foreach (var b in ctx.Hub.BindingsFor(ctx.Cgu, ns).ToList())
            {
                if (Keep(ctx, names, b.Metadata, Kinds.PlacementBinding))
                    bindings.Add(b.Metadata.Name ?? "");
            }
            bindings.Sort(StringComparer.Ordinal);
            ctx.Status.PlacementBindings = bindings;
        }
    }

    /// <summary>checkDuplicateChildResources: an object whose desired name maps to another safe name is a stale duplicate and is deleted.</summary>
    private static bool Keep(ReconcileContext ctx, Dictionary<string, string> names, ObjectMeta meta, KindInfo kind)
    {
        var desired = meta.Annotation(HubNames.DesiredNameAnnotation);
        if (desired is null)
            return true;
        if (names.TryGetValue(desired, out var safe))
        {
            if (meta.Name != safe)
            {
                ctx.Delete(kind, meta.Namespace, meta.Name ?? "");
                ctx.Hub.Deleted(kind, meta.Namespace ?? "", meta.Name ?? "");
                return false;
            }
        }
        else
        {
            names[desired] = meta.Name ?? "";
        }
        return true;
    }

    /// <summary>updatePlacements: each in-progress cluster of the batch added to the Placement of the policy it is on.</summary>
    public static void AddBatchClusters(ReconcileContext ctx)
    {
        var perPolicy = new SortedDictionary<int, List<string>>();
        foreach (var (cluster, progress) in ctx.Progress.CurrentBatchRemediationProgress ?? [])
        {
            if (progress.State != RemediationStates.InProgress || progress.PolicyIndex is not { } index)
                continue;
            if (!perPolicy.TryGetValue(index, out var list))
                perPolicy[index] = list = [];
            list.Add(cluster);
        }
        var forUpgrade = ctx.Status.ManagedPoliciesForUpgrade ?? [];
        foreach (var (index, clusters) in perPolicy)
        {
            if (index >= forUpgrade.Count)
                continue;
            var policy = forUpgrade[index];
            var ns = policy.Namespace ?? "";
            var desired = SafeNames.ResourceName(ctx, $"{policy.Name}-placement");
            if (ctx.Status.SafeResourceNames?.GetValueOrDefault(SafeNames.Key(ns, desired)) is not { } safe)
            {
                ctx.Fail($"placement object name {desired} not found in CGU {ctx.Cgu.Name}");
                return;
            }
            var existing = ctx.Hub.Placement(ns, safe);
            if (existing is null)
            {
                ctx.Fail($"placements.cluster.open-cluster-management.io \"{safe}\" not found");
                return;
            }
            var names = ClusterNames(existing);
            var updated = new List<string>(names);
            foreach (var c in clusters)
            {
                if (!names.Contains(c))
                    updated.Add(c);
            }
            if (updated.Count != names.Count)
                Write(ctx, WithClusters(existing, updated), created: false);
        }
    }

    /// <summary>cleanupPlacements: a finished batch leaves every Placement of the CGU empty.</summary>
    public static void EmptyAll(ReconcileContext ctx)
    {
        foreach (var ns in TargetNamespaces(ctx.Status))
        {
            foreach (var p in ctx.Hub.PlacementsFor(ctx.Cgu, ns).ToList())
            {
                if (ClusterNames(p).Count > 0)
                    Write(ctx, WithClusters(p, []), created: false);
            }
        }
    }

    /// <summary>checkPlacementsSatisfied: a Placement that cannot select clusters for want of a ManagedClusterSetBinding.</summary>
    public static string? Unsatisfied(ReconcileContext ctx)
    {
        foreach (var ns in TargetNamespaces(ctx.Status))
        {
            foreach (var p in ctx.Hub.PlacementsFor(ctx.Cgu, ns))
            {
                foreach (var c in PlacementConditions(p))
                {
                    if (c.Type == "PlacementSatisfied" && c.Status == ConditionStatus.False && c.Reason == HubNames.NoClusterSetBindings)
                    {
                        return $"Placement \"{p.Metadata.Name}\" in namespace \"{ns}\" cannot select clusters: {c.Message}. " +
                               "Create a ManagedClusterSetBinding for the \"default\" ManagedClusterSet in the policy namespace.";
                    }
                }
            }
        }
        return null;
    }

    /// <summary>The policy namespaces of the policies for upgrade, each once.</summary>
    public static List<string> TargetNamespaces(ClusterGroupUpgradeStatus status)
    {
        var list = new List<string>();
        foreach (var p in status.ManagedPoliciesForUpgrade ?? [])
        {
            var ns = p.Namespace ?? "";
            if (!list.Contains(ns))
                list.Add(ns);
        }
        return list;
    }

    private static void Write(ReconcileContext ctx, IKubeObject body, bool created)
    {
        if (created)
            ctx.Create(body);
        else
            ctx.Update(body);
        ctx.Hub.Wrote(body);
    }

    private static string PolicyName(Policy p) => p.Metadata.Name ?? "";

    private static Dictionary<string, string> Labels(ReconcileContext ctx)
    {
        var labels = HubNames.CguLabels(ctx.Cgu.Name, ctx.Cgu.Namespace);
        labels[HubNames.AppLabel] = HubNames.AppLabelValue;
        labels[HubNames.VeleroExcludeLabel] = "true";
        return labels;
    }

    private static Placement NewPlacement(ReconcileContext ctx, string policy, string ns, string name, string desired, List<string> clusters)
    {
        var labels = Labels(ctx);
        labels[HubNames.ForPolicyLabel] = policy;
        return new Placement
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = ns,
                Labels = labels,
                Annotations = new Dictionary<string, string> { [HubNames.DesiredNameAnnotation] = SafeNames.Key(ns, desired) },
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
                                MatchExpressions = [new LabelSelectorRequirement { Key = "name", Operator = "In", Values = clusters.Count == 0 ? null : clusters }],
                            },
                        },
                    },
                ],
                Tolerations =
                [
                    new PlacementToleration { Key = HubNames.UnavailableTaint, Operator = "Exists" },
                    new PlacementToleration { Key = HubNames.UnreachableTaint, Operator = "Exists" },
                ],
            },
        };
    }

    private static PlacementBinding NewBinding(ReconcileContext ctx, string policy, string ns, string name, string desired) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            Namespace = ns,
            Labels = Labels(ctx),
            Annotations = new Dictionary<string, string> { [HubNames.DesiredNameAnnotation] = SafeNames.Key(ns, desired) },
        },
        SubFilter = "restricted",
        BindingOverrides = new BindingOverrides { RemediationAction = "enforce" },
        PlacementRef = new PlacementSubject { Name = name, Kind = Kinds.Placement.Kind, ApiGroup = Kinds.Placement.Group },
        Subjects = [new PlacementSubject { Name = policy, Kind = Kinds.Policy.Kind, ApiGroup = Kinds.Policy.Group }],
    };

    public static List<string> ClusterNames(Placement p) =>
        p.Spec.Predicates is { Count: > 0 } preds &&
        preds[0].RequiredClusterSelector?.LabelSelector?.MatchExpressions is { Count: > 0 } exprs
            ? [.. exprs[0].Values ?? []]
            : [];

    private static Placement WithClusters(Placement p, List<string> clusters)
    {
        var preds = p.Spec.Predicates!.ToList();
        var selector = preds[0].RequiredClusterSelector!.LabelSelector!;
        var exprs = selector.MatchExpressions!.ToList();
        exprs[0] = exprs[0] with { Values = clusters.Count == 0 ? null : clusters };
        preds[0] = preds[0] with { RequiredClusterSelector = preds[0].RequiredClusterSelector! with { LabelSelector = selector with { MatchExpressions = exprs } } };
        return p with { Spec = p.Spec with { Predicates = preds } };
    }

    private static IEnumerable<Condition> PlacementConditions(Placement p)
    {
        if (p.Status is not { ValueKind: System.Text.Json.JsonValueKind.Object } status ||
            !status.TryGetProperty("conditions", out var list) || list.ValueKind != System.Text.Json.JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var c in list.EnumerateArray())
        {
            string? S(string name) => c.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
            yield return new Condition { Type = S("type") ?? "", Status = S("status") ?? "", Reason = S("reason"), Message = S("message") };
        }
    }
}
