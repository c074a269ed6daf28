using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Cgu;

/// <summary>
/// The CGU status, as in the CRD (deploy/crds). Mutable so the engine can evolve a private deep copy
/// (<see cref="DeepCopy"/>) in one pass; fields we do not model survive in <see cref="Extra"/>.
/// </summary>
public sealed record ClusterGroupUpgradeStatus
{
    public List<Condition>? Conditions { get; set; }
    public int? ComputedMaxConcurrency { get; set; }
    public List<List<string>>? RemediationPlan { get; set; }
    public List<NamespacedName>? ManagedPoliciesForUpgrade { get; set; }
    public List<string>? ManagedPoliciesCompliantBeforeUpgrade { get; set; }
    public Dictionary<string, string>? ManagedPoliciesNs { get; set; }
    public Dictionary<string, string>? ManagedPoliciesContent { get; set; }
    public List<string>? Placements { get; set; }
    public List<string>? PlacementBindings { get; set; }
    public Dictionary<string, string>? SafeResourceNames { get; set; }
    public BackupStatus? Backup { get; set; }
    public PrecachingStatus? Precaching { get; set; }
    public List<ClusterResult>? Clusters { get; set; }
    public UpgradeProgress? Status { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    public ClusterGroupUpgradeStatus DeepCopy() => DeepCopy(shareClusterStateMaps: false);

    /// <summary>
    /// A deep copy; with <paramref name="shareClusterStateMaps"/> the per-cluster state maps
    /// (backup.status, precaching.status) stay shared with this status, for a writer that replaces
    /// them instead of writing into them (10,000-entry maps are then copied only when they change).
    /// </summary>
    public ClusterGroupUpgradeStatus DeepCopy(bool shareClusterStateMaps) => this with
    {
        Conditions = Conditions is null ? null : [.. Conditions],
        RemediationPlan = RemediationPlan?.Select(b => new List<string>(b)).ToList(),
        ManagedPoliciesForUpgrade = ManagedPoliciesForUpgrade is null ? null : [.. ManagedPoliciesForUpgrade],
        ManagedPoliciesCompliantBeforeUpgrade = ManagedPoliciesCompliantBeforeUpgrade is null ? null : [.. ManagedPoliciesCompliantBeforeUpgrade],
        ManagedPoliciesNs = ManagedPoliciesNs is null ? null : new(ManagedPoliciesNs),
        ManagedPoliciesContent = ManagedPoliciesContent is null ? null : new(ManagedPoliciesContent),
        Placements = Placements is null ? null : [.. Placements],
        PlacementBindings = PlacementBindings is null ? null : [.. PlacementBindings],
        SafeResourceNames = SafeResourceNames is null ? null : new(SafeResourceNames),
        Backup = Backup?.DeepCopy(shareClusterStateMaps),
        Precaching = Precaching?.DeepCopy(shareClusterStateMaps),
        Clusters = Clusters is null ? null : [.. Clusters],
        Status = Status?.DeepCopy(),
        Extra = Extra is null ? null : new(Extra),
    };
}

/// <summary>status.backup: per-cluster backup states.</summary>
public sealed record BackupStatus
{
    public DateTimeOffset? StartedAt { get; set; }
    public Dictionary<string, string>? Status { get; set; }

    /// <summary>Deprecated, always empty.</summary>
    public List<string>? Clusters { get; set; }

    /// <summary>Ours: each finished backup's facts, by cluster (<see cref="BackupDetails"/>); the reference has no such field.</summary>
    public Dictionary<string, BackupDetails>? Details { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    public BackupStatus DeepCopy(bool shareStatusMap = false) => this with
    {
        Status = Status is null || shareStatusMap ? Status : new(Status),
        Clusters = Clusters is null ? null : [.. Clusters],
        Details = Details is null || shareStatusMap ? Details : new(Details),
        Extra = Extra is null ? null : new(Extra),
    };
}

/// <summary>status.precaching.</summary>
public sealed record PrecachingStatus
{
    public PrecachingSpec? Spec { get; set; }
    public Dictionary<string, string>? Status { get; set; }
    public List<string>? Clusters { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    public PrecachingStatus DeepCopy(bool shareStatusMap = false) => this with
    {
        Status = Status is null || shareStatusMap ? Status : new(Status),
        Clusters = Clusters is null ? null : [.. Clusters],
        Extra = Extra is null ? null : new(Extra),
    };
}

/// <summary>What to pre-pull on each cluster.</summary>
public sealed record PrecachingSpec
{
    public const string DefaultSpaceRequired = "35";

    public string? PlatformImage { get; init; }
    public IReadOnlyList<string>? OperatorsIndexes { get; init; }
    public IReadOnlyList<string>? OperatorsPackagesAndChannels { get; init; }
    public IReadOnlyList<string>? ExcludePrecachePatterns { get; init; }
    public IReadOnlyList<string>? AdditionalImages { get; init; }
    public string? SpaceRequired { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>One entry of status.clusters: a cluster's final result.</summary>
public sealed record ClusterResult
{
    public string Name { get; init; } = "";
    public string State { get; init; } = "";
    public PolicyStatusRef? CurrentPolicy { get; init; }

    /// <summary>For a ManifestWork rollout that timed out: the template and the resource status it reached.</summary>
    public JsonElement? CurrentManifestWork { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public static class ClusterResultStates
{
    public const string Complete = "complete";
    public const string TimedOut = "timedout";
}

public sealed record PolicyStatusRef
{
    public string Name { get; init; } = "";
    public string Status { get; init; } = "";
}

/// <summary>status.status: where the batched remediation stands.</summary>
public sealed record UpgradeProgress
{
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>0 until the first batch starts; then left out of the JSON like the reference's omitempty.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int CurrentBatch { get; set; }
    public DateTimeOffset? CurrentBatchStartedAt { get; set; }
    public Dictionary<string, ClusterRemediationProgress>? CurrentBatchRemediationProgress { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    public UpgradeProgress DeepCopy() => this with
    {
        CurrentBatchRemediationProgress = CurrentBatchRemediationProgress is null ? null : new(CurrentBatchRemediationProgress),
        Extra = Extra is null ? null : new(Extra),
    };
}

public sealed record ClusterRemediationProgress
{
    public string State { get; init; } = RemediationStates.NotStarted;
    public int? ManifestWorkIndex { get; init; }
    public int? PolicyIndex { get; init; }
    public DateTimeOffset? FirstCompliantAt { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public static class RemediationStates
{
    public const string NotStarted = "NotStarted";
    public const string InProgress = "InProgress";
    public const string Completed = "Completed";
}
