using System.Globalization;
using System.Text.Json;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Api.Text;

namespace Talm.Engine.Reconcile;

/// <summary>
/// Ours: what a finished backup Job tells the hub through <c>view-backup-job</c>: the agent's summary
/// annotation (<see cref="BackupDetails.Annotation"/>) and the Job's run time from its status. Read when
/// the backup reaches a final state, before the views are deleted.
/// </summary>
internal static class BackupFacts
{
    public static BackupDetails? Read(ManagedClusterView? view)
    {
        if (view?.Status?.Result is not { ValueKind: JsonValueKind.Object } job)
            return null;
        var details = Annotation(job);
        var seconds = JobSeconds(job);
        if (details is null && seconds is null)
            return null;
        return (details ?? new BackupDetails()) with { JobSeconds = seconds };
    }

    private static BackupDetails? Annotation(JsonElement job) =>
        job.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object &&
        meta.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Object &&
        annotations.TryGetProperty(BackupDetails.Annotation, out var value) && value.ValueKind == JsonValueKind.String
            ? BackupDetails.FromAnnotation(value.GetString())
            : null;

    /// <summary>startTime to completionTime, or to the Failed condition's time (a failed Job has no completionTime).</summary>
    internal static double? JobSeconds(JsonElement job)
    {
        if (!job.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Object)
            return null;
        var start = Time(status, "startTime");
        var end = Time(status, "completionTime") ?? FailedAt(status);
        return start is not null && end is not null && end >= start ? (end.Value - start.Value).TotalSeconds : null;
    }

    private static DateTimeOffset? FailedAt(JsonElement status)
    {
        if (!status.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array)
            return null;
        foreach (var c in conditions.EnumerateArray())
        {
            if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Failed")
                return Time(c, "lastTransitionTime");
        }
        return null;
    }

    private static DateTimeOffset? Time(JsonElement obj, string field) =>
        obj.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String &&
        DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>The Event's words for the facts: <c>: 1.2 GiB in 3,400 files (1,200 reused), backup 42 s, etcd revision 1234 (the backup Job ran 50s)</c>.</summary>
    public static string Describe(BackupDetails? d)
    {
        if (d is null)
            return "";
        var parts = new List<string>();
        if (d.Bytes is { } bytes)
        {
            parts.Add(d.Files is { } files
                ? $"{ByteSize.Format(bytes)} in {files.ToString(CultureInfo.InvariantCulture)} files" + (d.ReusedFiles is { } reused ? $" ({reused.ToString(CultureInfo.InvariantCulture)} reused)" : "")
                : ByteSize.Format(bytes));
        }

        if (d.DurationSeconds is { } took)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"backup {took:0} s"));
        if (d.EtcdRevision is { } revision)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"etcd revision {revision}"));
        if (d.OsVersion is { } os)
            parts.Add("OS " + os);
        var text = parts.Count > 0 ? ": " + string.Join(", ", parts) : "";
        if (d.JobSeconds is { } job)
            text += string.Create(CultureInfo.InvariantCulture, $" (the backup Job ran {job:0}s)");
        return text;
    }

}
