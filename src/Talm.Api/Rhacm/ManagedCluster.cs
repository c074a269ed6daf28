using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Rhacm;

/// <summary>cluster.open-cluster-management.io/v1 ManagedCluster (cluster-scoped).</summary>
public sealed record ManagedCluster : IKubeObject
{
    public const string AvailableCondition = "ManagedClusterConditionAvailable";

    public string ApiVersion { get; init; } = Kinds.ManagedCluster.ApiVersion;
    public string Kind { get; init; } = Kinds.ManagedCluster.Kind;
    public ObjectMeta Metadata { get; init; } = new();
    public JsonElement? Spec { get; init; }
    public ManagedClusterStatus? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore]
    public string Name => Metadata.Name ?? "";

    /// <summary>Available unless the hub says otherwise (no condition yet counts as available).</summary>
    [JsonIgnore]
    public bool IsAvailable
    {
        get
        {
            var c = Conditions.Find(Status?.Conditions, AvailableCondition);
            return c is null || c.IsTrue;
        }
    }
}

public sealed record ManagedClusterStatus
{
    public IReadOnlyList<Condition>? Conditions { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}
