using System.Text.Json;
using System.Text.Json.Serialization;

namespace Talm.Api.Meta;

/// <summary>A Kubernetes list response (e.g. ClusterGroupUpgradeList, ManagedClusterViewList).</summary>
public sealed record KubeList<T>
{
    public string? ApiVersion { get; init; }
    public string? Kind { get; init; }
    public ListMeta? Metadata { get; init; }
    public IReadOnlyList<T> Items { get; init; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record ListMeta
{
    public string? ResourceVersion { get; init; }

    [JsonPropertyName("continue")]
    public string? Continue { get; init; }

    public long? RemainingItemCount { get; init; }
}
