using System.Text.Json;
using Talm.Api.Cgu;

namespace Talm.Engine.Reconcile;

/// <summary>Structural equality of two statuses, without serializing 10,000-entry maps.</summary>
internal static class StatusComparer
{
    public static bool Same(ClusterGroupUpgradeStatus a, ClusterGroupUpgradeStatus b) =>
        Seq(a.Conditions, b.Conditions, (x, y) => x == y || (x.Type == y.Type && x.Status == y.Status && x.Reason == y.Reason && x.Message == y.Message && x.LastTransitionTime == y.LastTransitionTime && x.ObservedGeneration == y.ObservedGeneration)) &&
        a.ComputedMaxConcurrency == b.ComputedMaxConcurrency &&
        Seq(a.RemediationPlan, b.RemediationPlan, (x, y) => Seq(x, y, string.Equals)) &&
        Seq(a.ManagedPoliciesForUpgrade, b.ManagedPoliciesForUpgrade, (x, y) => x == y) &&
        Seq(a.ManagedPoliciesCompliantBeforeUpgrade, b.ManagedPoliciesCompliantBeforeUpgrade, string.Equals) &&
        Map(a.ManagedPoliciesNs, b.ManagedPoliciesNs, string.Equals) &&
        Map(a.ManagedPoliciesContent, b.ManagedPoliciesContent, string.Equals) &&
        Seq(a.Placements, b.Placements, string.Equals) &&
        Seq(a.PlacementBindings, b.PlacementBindings, string.Equals) &&
        Map(a.SafeResourceNames, b.SafeResourceNames, string.Equals) &&
        Backup(a.Backup, b.Backup) &&
        Precaching(a.Precaching, b.Precaching) &&
        Seq(a.Clusters, b.Clusters, (x, y) => x == y || (x.Name == y.Name && x.State == y.State && x.CurrentPolicy == y.CurrentPolicy && JsonEquals(x.CurrentManifestWork, y.CurrentManifestWork))) &&
        Progress(a.Status, b.Status) &&
        Extra(a.Extra, b.Extra);

    private static bool Backup(BackupStatus? a, BackupStatus? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null &&
            a.StartedAt == b.StartedAt && Map(a.Status, b.Status, string.Equals) && Seq(a.Clusters, b.Clusters, string.Equals) &&
            Map(a.Details, b.Details, (x, y) => x == y || JsonEquals(x, y)) && Extra(a.Extra, b.Extra));

    private static bool Precaching(PrecachingStatus? a, PrecachingStatus? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null &&
            JsonEquals(a.Spec, b.Spec) && Map(a.Status, b.Status, string.Equals) && Seq(a.Clusters, b.Clusters, string.Equals) && Extra(a.Extra, b.Extra));

    private static bool Progress(UpgradeProgress? a, UpgradeProgress? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null &&
            a.StartedAt == b.StartedAt && a.CompletedAt == b.CompletedAt && a.CurrentBatch == b.CurrentBatch &&
            a.CurrentBatchStartedAt == b.CurrentBatchStartedAt &&
            Map(a.CurrentBatchRemediationProgress, b.CurrentBatchRemediationProgress, (x, y) => x == y || (x.State == y.State && x.PolicyIndex == y.PolicyIndex && x.ManifestWorkIndex == y.ManifestWorkIndex && x.FirstCompliantAt == y.FirstCompliantAt)) &&
            Extra(a.Extra, b.Extra));

    private static bool JsonEquals(JsonElement? a, JsonElement? b) =>
        a is null ? b is null : b is not null && a.Value.GetRawText() == b.Value.GetRawText();

    private static bool JsonEquals<T>(T? a, T? b) where T : class =>
        ReferenceEquals(a, b) || (a is not null && b is not null &&
            JsonSerializer.Serialize(a, Api.Json.KubeJson.Options) == JsonSerializer.Serialize(b, Api.Json.KubeJson.Options));

    private static bool Extra(Dictionary<string, JsonElement>? a, Dictionary<string, JsonElement>? b) =>
        Map(a, b, (x, y) => x.GetRawText() == y.GetRawText());

    private static bool Seq<T>(IReadOnlyList<T>? a, IReadOnlyList<T>? b, Func<T, T, bool> eq)
    {
        if (ReferenceEquals(a, b))
            return true;
        if (a is null || b is null || a.Count != b.Count)
            return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (!eq(a[i], b[i]))
                return false;
        }
        return true;
    }

    private static bool Map<T>(Dictionary<string, T>? a, Dictionary<string, T>? b, Func<T, T, bool> eq)
    {
        if (ReferenceEquals(a, b))
            return true;
        if (a is null || b is null || a.Count != b.Count)
            return false;
        foreach (var (k, v) in a)
        {
            if (!b.TryGetValue(k, out var w) || !eq(v, w))
                return false;
        }
        return true;
    }
}
