using Talm.Api.Cgu;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The status as the reference's JSON tags shape it: every optional list and map is left out when empty
/// (Go's omitempty), while status.status is always there, even as {}.
/// </summary>
internal static class StatusShape
{
    public static void Normalize(ClusterGroupUpgradeStatus s)
    {
        s.Conditions = NullIfEmpty(s.Conditions);
        s.RemediationPlan = NullIfEmpty(s.RemediationPlan);
        s.ManagedPoliciesForUpgrade = NullIfEmpty(s.ManagedPoliciesForUpgrade);
        s.ManagedPoliciesCompliantBeforeUpgrade = NullIfEmpty(s.ManagedPoliciesCompliantBeforeUpgrade);
        s.ManagedPoliciesNs = NullIfEmpty(s.ManagedPoliciesNs);
        s.ManagedPoliciesContent = NullIfEmpty(s.ManagedPoliciesContent);
        s.Placements = NullIfEmpty(s.Placements);
        s.PlacementBindings = NullIfEmpty(s.PlacementBindings);
        s.SafeResourceNames = NullIfEmpty(s.SafeResourceNames);
        s.Clusters = NullIfEmpty(s.Clusters);
        if (s.ComputedMaxConcurrency == 0)
            s.ComputedMaxConcurrency = null;
        s.Status ??= new UpgradeProgress();
        s.Status.CurrentBatchRemediationProgress = NullIfEmpty(s.Status.CurrentBatchRemediationProgress);
        if (s.Backup is { } backup)
        {
            backup.Status = NullIfEmpty(backup.Status);
            backup.Clusters = NullIfEmpty(backup.Clusters);
            backup.Details = NullIfEmpty(backup.Details);
        }
        if (s.Precaching is { } precaching)
        {
            precaching.Status = NullIfEmpty(precaching.Status);
            precaching.Clusters = NullIfEmpty(precaching.Clusters);
        }
    }

    private static List<T>? NullIfEmpty<T>(List<T>? list) => list is { Count: 0 } ? null : list;

    private static Dictionary<string, T>? NullIfEmpty<T>(Dictionary<string, T>? map) => map is { Count: 0 } ? null : map;
}
