using System.Text.Json;
using System.Text.Json.Serialization;

namespace Talm.Api.Cgu;

/// <summary>
/// The facts of one cluster's backup (ours, not the reference's): what the agent published on its Job
/// as the <see cref="Annotation"/> annotation, plus how long the Job ran as its status shows. Carried to
/// the hub by the <c>view-backup-job</c> view and kept in <c>status.backup.details[cluster]</c>.
/// Every field is optional: a Job of another agent, or one that could not publish, has only the Job's times.
/// </summary>
public sealed record BackupDetails
{
    /// <summary>The Job annotation the agent writes: this record as JSON (without <see cref="JobSeconds"/>).</summary>
    public const string Annotation = "talm.openshift.io/backup-summary";

    /// <summary>
    /// Set by the lab's simulated kubelet, whose pods have no route to an API server: the agent writes the
    /// Job's merge patch to this file instead, and the simulated spoke applies it to the Job.
    /// </summary>
    public const string LabPatchFileVariable = "TALM_JOB_PATCH_FILE";

    /// <summary>Most phases a summary may carry; the rest are dropped (they become metric labels on the hub).</summary>
    public const int MaxPhases = 16;

    /// <summary>Longest string a summary may carry in a field (longer ones are cut): each entry stays about 1 KiB at most.</summary>
    public const int MaxText = 64;

    /// <summary>
    /// Most clusters whose details one CGU's status keeps (the first ones to finish). A CGU is one object in
    /// etcd (1.5 MiB at most, its 10,000-entry state maps included); beyond this the Event and the metrics
    /// still carry each backup's facts.
    /// </summary>
    public const int MaxClusters = 500;

    /// <summary>The backup generation (directory name under /var/recovery).</summary>
    public string? Generation { get; init; }

    /// <summary>Bytes of file content the backup holds.</summary>
    public long? Bytes { get; init; }

    public long? Files { get; init; }

    /// <summary>Files taken from the previous generation by hard link instead of copying.</summary>
    public long? ReusedFiles { get; init; }

    /// <summary>The agent's whole run, in seconds.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>Seconds per phase of the agent (scan, copy, etcd_snapshot, sync, pin, ...), in the order they ended.</summary>
    public Dictionary<string, double>? Phases { get; init; }

    public long? EtcdRevision { get; init; }

    public long? EtcdSnapshotBytes { get; init; }

    /// <summary>The OS version (ostree deployment version) the backup pinned.</summary>
    public string? OsVersion { get; init; }

    /// <summary>What was verified before the backup was committed, e.g. <c>etcd snapshot SHA-256 trailer verified</c>.</summary>
    public string? Verification { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>How long the backup Job ran (its startTime to its completionTime or failure), read on the hub.</summary>
    public double? JobSeconds { get; init; }

    private static string? Cut(string? text) => text is { Length: > MaxText } ? text[..MaxText] : text;

    /// <summary>A phase's name: lower-case letters, digits and '_', at most 40, starting with a letter (it becomes a metric label).</summary>
    public static bool IsPhaseName(string name) =>
        name.Length is > 0 and <= 40 && char.IsAsciiLetterLower(name[0]) && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    /// <summary>The phase's name for an agent's phase title (<c>etcd snapshot (concurrent)</c> → <c>etcd_snapshot_concurrent</c>).</summary>
    public static string PhaseName(string title)
    {
        var chars = new System.Text.StringBuilder();
        foreach (var c in title.ToLowerInvariant())
        {
            if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
                chars.Append(c);
            else if (chars.Length > 0 && chars[^1] != '_')
                chars.Append('_');
        }
        var name = chars.ToString().Trim('_');
        return name.Length > 40 ? name[..40].TrimEnd('_') : name;
    }

    /// <summary>The annotation's value for these facts.</summary>
    public string ToAnnotation() => JsonSerializer.Serialize(this with { JobSeconds = null }, BackupDetailsJson.Default.BackupDetails);

    /// <summary>Reads an annotation value; null when it is not a summary (the annotation is written by whoever may patch the Job).</summary>
    public static BackupDetails? FromAnnotation(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        try
        {
            var details = JsonSerializer.Deserialize(value, BackupDetailsJson.Default.BackupDetails);
            if (details is null)
                return null;
            if (details.Phases is { } phases && (phases.Count > MaxPhases || !phases.Keys.All(IsPhaseName)))
                details = details with { Phases = phases.Where(p => IsPhaseName(p.Key)).Take(MaxPhases).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal) };
            return details with { Generation = Cut(details.Generation), OsVersion = Cut(details.OsVersion), Verification = Cut(details.Verification) };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The annotation's JSON, generated at compile time: the trimmed agent (talm-recovery) writes it too.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BackupDetails))]
internal sealed partial class BackupDetailsJson : JsonSerializerContext;
