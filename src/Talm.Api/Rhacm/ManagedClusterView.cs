using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Rhacm;

/// <summary>view.open-cluster-management.io/v1beta1 ManagedClusterView: a hub-side mirror of one spoke resource.</summary>
public sealed record ManagedClusterView : IKubeObject
{
    public const string ProcessingCondition = "Processing";

    public string ApiVersion { get; init; } = Kinds.ManagedClusterView.ApiVersion;
    public string Kind { get; init; } = Kinds.ManagedClusterView.Kind;
    public ObjectMeta Metadata { get; init; } = new();
    public ManagedClusterViewSpec Spec { get; init; } = new();
    public ManagedClusterViewStatus? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record ManagedClusterViewSpec
{
    public ViewScope Scope { get; init; } = new();

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record ViewScope
{
    public string? ApiGroup { get; init; }
    public string? Kind { get; init; }
    public string? Version { get; init; }
    public string? Resource { get; init; }
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public int? UpdateIntervalSeconds { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record ManagedClusterViewStatus
{
    public IReadOnlyList<Condition>? Conditions { get; init; }
    public JsonElement? Result { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}
