using System.Text;
using System.Text.Json;
using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Internal;

/// <summary>Step 3: find, check and classify the managed policies (hub-protocol §4.2).</summary>
internal static class PolicyValidation
{
    /// <returns>The policies for upgrade in spec order, or null when Validated is False.</returns>
    public static List<ManagedPolicy>? Run(DecisionContext ctx, List<string> selected, Dictionary<string, int> slots)
    {
        var missing = new List<string>();
        var invalid = new List<string>();
        var ambiguous = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        var resolved = new List<(string Name, string Ns, Policy Root)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var name in ctx.Spec.ManagedPolicies ?? [])
        {
            if (!seen.Add(name))
                continue;
            var summary = ctx.Index.ChildPolicies.GetValueOrDefault(name);
            var namespaces = summary?.RootNamespaces ?? [];
            var enforced = summary?.Enforced ?? false;
            if (namespaces.Count == 0)
            {
                missing.Add(name);
                continue;
            }
            if (namespaces.Count > 1)
            {
                ambiguous[name] = [.. namespaces.Order(StringComparer.Ordinal)];
                continue;
            }
            var ns = namespaces[0];
            if (!ctx.Index.RootPolicies.TryGetValue((ns, name), out var root))
            {
                missing.Add(name);
                continue;
            }
            if (enforced)
                continue; // enforced by RHACM itself: not the CGU's to remediate
            if (PolicyTemplates.Invalid(root) is not null)
            {
                invalid.Add(name);
                continue;
            }
            resolved.Add((name, ns, root));
        }

        if (missing.Count > 0 || invalid.Count > 0 || ambiguous.Count > 0)
        {
            // Like the reference, the last applicable message wins: missing, then invalid, then ambiguous.
            var reason = ConditionReasons.NotAllManagedPoliciesExist;
            var message = missing.Count > 0 ? Messages.MissingPolicies(missing) : "";
            if (invalid.Count > 0)
                message = Messages.InvalidPolicies(invalid);
            if (ambiguous.Count > 0)
            {
                message = Messages.AmbiguousPolicies(JsonSerializer.Serialize(ambiguous));
                reason = ConditionReasons.AmbiguousManagedPoliciesNames;
            }
            ctx.SetCondition(ConditionTypes.Validated, false, reason, message);
            ctx.RequeueWithin(DecisionContext.PollInterval);
            return null;
        }

        var forUpgrade = new List<ManagedPolicy>();
        var compliantBefore = new List<string>();
        foreach (var (name, ns, root) in resolved)
        {
            var policy = new ManagedPolicy(name, ns, root, slots, selected);
            var needs = HasStatusTemplate(root);
            if (!needs)
            {
                for (var i = 0; i < selected.Count; i++)
                {
                    if (!policy.IsCompliantAt(i, selected[i]))
                    {
                        needs = true;
                        break;
                    }
                }
            }
            if (needs)
                forUpgrade.Add(policy);
            else
                compliantBefore.Add(name);
        }

        // A policy may only depend on policies remediated before it.
        for (var i = 0; i < forUpgrade.Count; i++)
        {
            foreach (var dep in forUpgrade[i].Root?.Spec.Dependencies ?? [])
            {
                if (dep.Kind is not null && dep.Kind != Kinds.Policy.Kind)
                    continue;
                var depNs = dep.Namespace ?? forUpgrade[i].Namespace;
                for (var j = i + 1; j < forUpgrade.Count; j++)
                {
                    if (forUpgrade[j].Name == dep.Name && forUpgrade[j].Namespace == depNs)
                    {
                        ctx.SetCondition(ConditionTypes.Validated, false, ConditionReasons.UnresolvableDependency,
                            Messages.UnresolvableDependency(forUpgrade[i].Name, forUpgrade[j].Name));
                        return null;
                    }
                }
            }
        }

        var st = ctx.Status;
        st.ManagedPoliciesForUpgrade = forUpgrade.Count == 0 ? null : forUpgrade.Select(p => new NamespacedName(p.Name, p.Namespace)).ToList();
        st.ManagedPoliciesCompliantBeforeUpgrade = compliantBefore.Count == 0 ? null : compliantBefore;
        st.ManagedPoliciesNs = forUpgrade.Count == 0 ? null : forUpgrade.ToDictionary(p => p.Name, p => p.Namespace, StringComparer.Ordinal);
        var content = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in forUpgrade)
        {
            var json = ContentJson(p.Root);
            if (json is not null)
                content[p.Name] = json;
        }
        st.ManagedPoliciesContent = content.Count == 0 ? null : content;
        ctx.SetCondition(ConditionTypes.Validated, true, ConditionReasons.ValidationCompleted, Messages.CompletedValidation);
        return forUpgrade;
    }

    /// <summary>The frozen policy list once batches run: the status is the source of truth.</summary>
    public static List<ManagedPolicy> FromStatus(DecisionContext ctx)
    {
        var list = new List<ManagedPolicy>();
        foreach (var p in ctx.Status.ManagedPoliciesForUpgrade ?? [])
        {
            var name = p.Name ?? "";
            var ns = p.Namespace ?? "";
            list.Add(new ManagedPolicy(name, ns, ctx.Index.RootPolicies.GetValueOrDefault((ns, name)), null));
        }
        return list;
    }

    private static bool HasStatusTemplate(Policy root)
    {
        foreach (var obj in PolicyTemplates.Objects(root))
        {
            if (obj.Definition.TryGetProperty("status", out _))
                return true;
        }
        return false;
    }

    /// <summary>Subscriptions to follow up, as [{"kind","name","apiVersion","namespace"}] in exactly that key order.</summary>
    private static string? ContentJson(Policy? root)
    {
        using var buffer = new MemoryStream();
        var count = 0;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var obj in PolicyTemplates.Objects(root))
            {
                if (string.Equals(obj.ComplianceType, "mustnothave", StringComparison.OrdinalIgnoreCase))
                    continue;
                var kind = PolicyTemplates.Str(obj.Definition, "kind");
                var name = PolicyTemplates.Str(obj.Definition, "metadata", "name");
                if (kind != "Subscription" || string.IsNullOrEmpty(name))
                    continue;
                w.WriteStartObject();
                w.WriteString("kind", kind);
                w.WriteString("name", name);
                w.WriteString("apiVersion", PolicyTemplates.Str(obj.Definition, "apiVersion") ?? "");
                var ns = PolicyTemplates.Str(obj.Definition, "metadata", "namespace");
                if (ns is not null)
                    w.WriteString("namespace", ns);
                w.WriteEndObject();
                count++;
            }
            w.WriteEndArray();
        }
        return count == 0 ? null : Encoding.UTF8.GetString(buffer.ToArray());
    }
}
