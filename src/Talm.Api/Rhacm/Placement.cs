using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Rhacm;

/// <summary>cluster.open-cluster-management.io/v1beta1 Placement.</summary>
public sealed record Placement : IKubeObject
{
    public string ApiVersion { get; init; } = Kinds.Placement.ApiVersion;
    public string Kind { get; init; } = Kinds.Placement.Kind;
    public ObjectMeta Metadata { get; init; } = new();
    public PlacementSpec Spec { get; init; } = new();
    public JsonElement? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PlacementSpec
{
    public IReadOnlyList<PlacementPredicate>? Predicates { get; init; }
    public IReadOnlyList<PlacementToleration>? Tolerations { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PlacementPredicate
{
    public ClusterSelector? RequiredClusterSelector { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record ClusterSelector
{
    public LabelSelector? LabelSelector { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PlacementToleration
{
    public string? Key { get; init; }
    public string? Operator { get; init; }
    public string? Value { get; init; }
    public string? Effect { get; init; }
}
