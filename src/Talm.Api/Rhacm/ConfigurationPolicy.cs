using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Json;
using Talm.Api.Meta;

namespace Talm.Api.Rhacm;

/// <summary>policy.open-cluster-management.io/v1 ConfigurationPolicy, as embedded in a policy template.</summary>
public sealed record ConfigurationPolicy
{
    public const string KindName = "ConfigurationPolicy";

    public string? ApiVersion { get; init; }
    public string? Kind { get; init; }
    public ObjectMeta? Metadata { get; init; }
    public ConfigurationPolicySpec? Spec { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public static ConfigurationPolicy? From(JsonElement? objectDefinition)
    {
        if (objectDefinition is not { ValueKind: JsonValueKind.Object } e)
            return null;
        return e.Deserialize<ConfigurationPolicy>(KubeJson.Options);
    }
}

public sealed record ConfigurationPolicySpec
{
    public string? RemediationAction { get; init; }
    public string? Severity { get; init; }

    [JsonPropertyName("object-templates")]
    public IReadOnlyList<ObjectTemplate>? ObjectTemplates { get; init; }

    /// <summary>YAML text of an object-templates list (may hold hub templates).</summary>
    [JsonPropertyName("object-templates-raw")]
    public string? ObjectTemplatesRaw { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record ObjectTemplate
{
    public string? ComplianceType { get; init; }
    public JsonElement? ObjectDefinition { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}
