using System.Text.Json.Nodes;

namespace Talm.Lab.Run;

/// <summary>How one cluster came out of the rollout.</summary>
public sealed record ClusterOutcome(
    string Name,
    string Backup,
    double? BackupSeconds,
    long? BackupBytes,
    string Precache,
    string Result,
    string Compliance);

/// <summary>
/// Costs and delays the lab measured while it ran. The operator's requests are counted by the API
/// server for its User-Agent (talm-operator/...), so they do not depend on where it ran (<paramref name="OperatorMode"/>).
/// </summary>
public sealed record LabMetrics(
    long OperatorWrites,
    long OperatorReads,
    long OperatorDeletes,
    IReadOnlyDictionary<string, long> OperatorWritesByResource,
    long RhacmStatusWrites,
    long ActionsExecuted,
    double? ViewToStatusMaxSeconds,
    double? ViewToStatusP50Seconds,
    int ViewToStatusSamples,
    double? ViewToStatusP99Seconds,
    string OperatorMode);

/// <summary>The end of a lab run: what the CGU said, per cluster outcomes, times and costs.</summary>
public sealed record LabResult(
    bool Finished,
    string Kubeconfig,
    TimeSpan SetUp,
    TimeSpan EnableToCompletion,
    TimeSpan Total,
    IReadOnlyList<ClusterOutcome> Clusters,
    JsonNode? Cgu,
    LabMetrics Metrics);
