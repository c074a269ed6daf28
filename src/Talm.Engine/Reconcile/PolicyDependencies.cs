using Talm.Api.Cgu;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>A policy for upgrade may only depend on policies remediated before it.</summary>
internal static class PolicyDependencies
{
    public static bool Validate(ReconcileContext ctx, IReadOnlyList<Policy> policies)
    {
        var order = ctx.Status.ManagedPoliciesForUpgrade ?? [];
        foreach (var policy in policies)
        {
            var index = IndexOf(order, policy.Metadata.Name, policy.Metadata.Namespace);
            foreach (var dependency in policy.Spec.Dependencies ?? [])
            {
                var at = IndexOf(order, dependency.Name, dependency.Namespace ?? "");
                if (at >= 0 && at > index)
                {
                    ctx.SetCondition(ConditionTypes.Validated, false, ConditionReasons.UnresolvableDependency,
                        $"Managed Policy {policy.Metadata.Name} depends on {dependency.Name}, which is to be remediated later");
                    return false;
                }
            }
        }
        return true;
    }

    private static int IndexOf(List<Api.Meta.NamespacedName> list, string? name, string? ns)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Name == name && list[i].Namespace == ns)
                return i;
        }
        return -1;
    }
}
