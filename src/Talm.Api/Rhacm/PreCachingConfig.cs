using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Rhacm;

/// <summary>ran.openshift.io/v1alpha1 PreCachingConfig: user overrides of what to pre-pull.</summary>
public sealed record PreCachingConfig : IKubeObject
{
    public string ApiVersion { get; init; } = Kinds.PreCachingConfig.ApiVersion;
    public string Kind { get; init; } = Kinds.PreCachingConfig.Kind;
    public ObjectMeta Metadata { get; init; } = new();
    public PreCachingConfigSpec Spec { get; init; } = new();

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PreCachingConfigSpec
{
    public PrecachingOverrides? Overrides { get; init; }
    public string? SpaceRequired { get; init; }
    public IReadOnlyList<string>? ExcludePrecachePatterns { get; init; }
    public IReadOnlyList<string>? AdditionalImages { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PrecachingOverrides
{
    public string? PlatformImage { get; init; }
    public IReadOnlyList<string>? OperatorsIndexes { get; init; }
    public IReadOnlyList<string>? OperatorsPackagesAndChannels { get; init; }
}
