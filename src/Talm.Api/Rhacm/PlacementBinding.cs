using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Rhacm;

/// <summary>policy.open-cluster-management.io/v1 PlacementBinding (fields at the top level, no spec).</summary>
public sealed record PlacementBinding : IKubeObject
{
    public string ApiVersion { get; init; } = Kinds.PlacementBinding.ApiVersion;
    public string Kind { get; init; } = Kinds.PlacementBinding.Kind;
    public ObjectMeta Metadata { get; init; } = new();
    public PlacementSubject? PlacementRef { get; init; }
    public IReadOnlyList<PlacementSubject>? Subjects { get; init; }
    public string? SubFilter { get; init; }
    public BindingOverrides? BindingOverrides { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PlacementSubject
{
    public string? Name { get; init; }
    public string? Kind { get; init; }
    public string? ApiGroup { get; init; }
}

public sealed record BindingOverrides
{
    public string? RemediationAction { get; init; }
}
