using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Talm.Lab.Run;

/// <summary>The <c>--report</c> file: the run's outcome as JSON, for scripts and CI.</summary>
public sealed record LabReport(
    bool Finished,
    string Kubeconfig,
    double SetUpSeconds,
    double RolloutSeconds,
    double TotalSeconds,
    IReadOnlyList<ClusterOutcome> Clusters,
    JsonNode? CguStatus,
    LabMetrics Metrics)
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static LabReport From(LabResult r) => new(
        r.Finished, r.Kubeconfig, r.SetUp.TotalSeconds, r.EnableToCompletion.TotalSeconds, r.Total.TotalSeconds,
        r.Clusters, r.Cgu?["status"]?.DeepClone(), r.Metrics);
}
