using System.Globalization;
using System.Text.Json;
using Talm.Operator.Kube;

namespace Talm.Operator.Reconcile;

/// <summary>
/// What the backup Job on a spoke reported, as seen through the <c>view-backup-job</c> view:
/// its run time from the Job's startTime/completionTime. The protocol carries no backup size to
/// the hub (the Job status has none), so only the duration is surfaced.
/// </summary>
public static class BackupReport
{
    public const string JobView = "view-backup-job";

    public static TimeSpan? Duration(ObjectCache views, string cluster)
    {
        var view = views.Get(cluster, JobView);
        if (view is null || !view.Json.TryGetProperty("status", out var status) ||
            !status.TryGetProperty("result", out var job) || job.ValueKind != JsonValueKind.Object ||
            !job.TryGetProperty("status", out var jobStatus) || jobStatus.ValueKind != JsonValueKind.Object)
            return null;
        var start = Time(jobStatus, "startTime");
        var end = Time(jobStatus, "completionTime") ?? LastTransition(jobStatus);
        return start is not null && end is not null && end >= start ? end - start : null;
    }

    private static DateTimeOffset? Time(JsonElement obj, string field) =>
        obj.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String &&
        DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>A failed Job has no completionTime; its Failed condition says when it ended.</summary>
    private static DateTimeOffset? LastTransition(JsonElement jobStatus)
    {
        if (!jobStatus.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array) return null;
        foreach (var c in conditions.EnumerateArray())
            if (c.TryGetProperty("type", out var type) && type.GetString() == "Failed")
                return Time(c, "lastTransitionTime");
        return null;
    }
}
