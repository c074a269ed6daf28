using System.Text.Json;
using System.Text.Json.Serialization;

namespace Talm.Api.Agent;

/// <summary>
/// What the backup agent's pre-flight (<c>launchBackup --dry-run</c>) found on one node (ours, not the
/// reference's): published on its own Job as the <see cref="Annotation"/> annotation, where the hub's
/// <c>kubectl talm preflight</c> reads it through a ManagedClusterView. One entry per check, in the order
/// the agent makes them, each with the exit code it gives when it fails; the space facts as numbers.
/// </summary>
public sealed record PreflightReport
{
    /// <summary>The Job annotation the agent writes: this record as JSON.</summary>
    public const string Annotation = "talm.openshift.io/preflight";

    /// <summary>The hub's pre-flight Job (<c>kubectl talm preflight</c>): where the agent publishes when its pod's name does not say.</summary>
    public const string Job = "talm-preflight";

    /// <summary>Longest message a check may carry (longer ones are cut): the whole annotation stays a few KiB.</summary>
    public const int MaxMessage = 512;

    /// <summary>Most checks a report may carry; more are dropped on reading (whoever may patch the Job may write it).</summary>
    public const int MaxChecks = 16;

    /// <summary>Every check passed: a backup can run as things are.</summary>
    public bool Ok { get; init; }

    /// <summary>The agent's exit code: 0, or the code of the first check that failed.</summary>
    public int ExitCode { get; init; }

    /// <summary>The backup's estimate: what it would write (before the margin).</summary>
    public long? SpaceNeededBytes { get; init; }

    /// <summary>Free space the backup keeps beyond its estimate (the agent's --space-margin).</summary>
    public long? SpaceMarginBytes { get; init; }

    /// <summary>Free space on the filesystem that holds the backup directory.</summary>
    public long? SpaceFreeBytes { get; init; }

    /// <summary>The previous backup generation checked; null when the node has none yet.</summary>
    public string? PreviousGeneration { get; init; }

    public IReadOnlyList<PreflightCheckResult> Checks { get; init; } = [];

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The check named <paramref name="name"/> (<see cref="PreflightCheckNames"/>), if the report has it.</summary>
    public PreflightCheckResult? Check(string name) => Checks.FirstOrDefault(c => c.Name == name);

    /// <summary>The first check that failed, if any.</summary>
    [JsonIgnore]
    public PreflightCheckResult? FirstFailed => Checks.FirstOrDefault(c => !c.Ok);

    public string ToAnnotation() => JsonSerializer.Serialize(this, PreflightReportJson.Default.PreflightReport);

    /// <summary>Reads an annotation value; null when it is not a report.</summary>
    public static PreflightReport? FromAnnotation(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        try
        {
            var report = JsonSerializer.Deserialize(value, PreflightReportJson.Default.PreflightReport);
            if (report is null)
                return null;
            var checks = (report.Checks ?? []).Where(c => c is not null).Take(MaxChecks)
                .Select(c => c with { Name = Cut(c.Name ?? "", 32), Message = Cut(c.Message ?? "", MaxMessage) }).ToList();
            return report with { Checks = checks, PreviousGeneration = report.PreviousGeneration is { } g ? Cut(g, 256) : null };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="max"/> characters.</summary>
    public static string Cut(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length > max ? text[..(max - 1)] + "…" : text;
    }
}

/// <summary>One check of a pre-flight.</summary>
public sealed record PreflightCheckResult
{
    /// <summary>One of <see cref="PreflightCheckNames"/>.</summary>
    public string Name { get; init; } = "";

    public bool Ok { get; init; }

    /// <summary>The agent's exit code when this check fails (whether or not it did).</summary>
    public int ExitCode { get; init; }

    public string Message { get; init; } = "";
}

/// <summary>The names of the pre-flight's checks, as the agent prints and publishes them.</summary>
public static class PreflightCheckNames
{
    /// <summary>A restore is under way on the node: the backup would be skipped.</summary>
    public const string Recovery = "recovery";

    public const string Space = "space";

    public const string Etcd = "etcd";

    public const string Previous = "previous";

    public const string Pin = "pin";
}

/// <summary>The annotation's JSON, generated at compile time: the trimmed agent (talm-recovery) writes it.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PreflightReport))]
internal sealed partial class PreflightReportJson : JsonSerializerContext;
