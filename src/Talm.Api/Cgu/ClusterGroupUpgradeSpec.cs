using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Cgu;

/// <summary>The CGU spec, as in the CRD (deploy/crds). Absent booleans take the CRD defaults through the helpers.</summary>
public sealed record ClusterGroupUpgradeSpec
{
    public static readonly ClusterGroupUpgradeSpec Empty = new();

    public IReadOnlyList<string>? Clusters { get; init; }
    public IReadOnlyList<LabelSelector>? ClusterLabelSelectors { get; init; }

    /// <summary>Deprecated: "key=value" or "key" (value "").</summary>
    public IReadOnlyList<string>? ClusterSelector { get; init; }

    public IReadOnlyList<string>? ManagedPolicies { get; init; }
    public bool? Enable { get; init; }
    public bool? Backup { get; init; }
    public bool? PreCaching { get; init; }
    public NamespacedName? PreCachingConfigRef { get; init; }
    public RemediationStrategy? RemediationStrategy { get; init; }
    public string? BatchTimeoutAction { get; init; }

    [JsonPropertyName("blockingCRs")]
    public IReadOnlyList<NamespacedName>? BlockingCRs { get; init; }

    public CguActions? Actions { get; init; }
    public IReadOnlyList<string>? ManifestWorkTemplates { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore]
    public bool IsEnabled => Enable ?? true;

    [JsonIgnore]
    public bool IsBackup => Backup ?? false;

    [JsonIgnore]
    public bool IsPreCaching => PreCaching ?? false;

    /// <summary>Anything other than "Abort" behaves as "Continue".</summary>
    [JsonIgnore]
    public bool AbortsOnBatchTimeout => BatchTimeoutAction == BatchTimeoutActions.Abort;
}

public static class BatchTimeoutActions
{
    public const string Continue = "Continue";
    public const string Abort = "Abort";
}

public sealed record RemediationStrategy
{
    public const int DefaultTimeoutMinutes = 240;

    public int MaxConcurrency { get; init; }
    public int? Timeout { get; init; }
    public IReadOnlyList<string>? Canaries { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore]
    public int TimeoutMinutes => Timeout ?? DefaultTimeoutMinutes;
}

public sealed record CguActions
{
    public ClusterActions? BeforeEnable { get; init; }
    public AfterCompletionActions? AfterCompletion { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>Label and annotation changes applied to a ManagedCluster.</summary>
public record ClusterActions
{
    public IReadOnlyDictionary<string, string>? AddClusterLabels { get; init; }

    /// <summary>Deprecated map form of removeClusterLabels: only the keys matter.</summary>
    public IReadOnlyDictionary<string, string>? DeleteClusterLabels { get; init; }

    public IReadOnlyList<string>? RemoveClusterLabels { get; init; }
    public IReadOnlyDictionary<string, string>? AddClusterAnnotations { get; init; }
    public IReadOnlyList<string>? RemoveClusterAnnotations { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore]
    public bool IsEmpty =>
        (AddClusterLabels is null || AddClusterLabels.Count == 0) &&
        (DeleteClusterLabels is null || DeleteClusterLabels.Count == 0) &&
        (RemoveClusterLabels is null || RemoveClusterLabels.Count == 0) &&
        (AddClusterAnnotations is null || AddClusterAnnotations.Count == 0) &&
        (RemoveClusterAnnotations is null || RemoveClusterAnnotations.Count == 0);
}

public sealed record AfterCompletionActions : ClusterActions
{
    public bool? DeleteObjects { get; init; }

    [JsonIgnore]
    public bool ShouldDeleteObjects => DeleteObjects ?? true;
}
