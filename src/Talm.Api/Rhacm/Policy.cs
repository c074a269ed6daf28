using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Rhacm;

/// <summary>
/// policy.open-cluster-management.io/v1 Policy. A root policy lives in a policy namespace; RHACM copies
/// it as a child named "&lt;root-namespace&gt;.&lt;root-name&gt;" into each bound cluster's namespace.
/// </summary>
public sealed record Policy : IKubeObject
{
    public string ApiVersion { get; init; } = Kinds.Policy.ApiVersion;
    public string Kind { get; init; } = Kinds.Policy.Kind;
    public ObjectMeta Metadata { get; init; } = new();
    public PolicySpec Spec { get; init; } = new();
    public PolicyStatus? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PolicySpec
{
    public bool? Disabled { get; init; }
    public string? RemediationAction { get; init; }

    [JsonPropertyName("policy-templates")]
    public IReadOnlyList<PolicyTemplate>? PolicyTemplates { get; init; }

    public IReadOnlyList<PolicyDependency>? Dependencies { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>One entry of policy-templates; objectDefinition is usually a ConfigurationPolicy.</summary>
public sealed record PolicyTemplate
{
    public JsonElement? ObjectDefinition { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PolicyDependency
{
    public string? ApiVersion { get; init; }
    public string? Kind { get; init; }
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public string? Compliance { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record PolicyStatus
{
    public string? Compliant { get; init; }
    public IReadOnlyList<PolicyClusterStatus>? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>Per-cluster compliance reported on a root policy.</summary>
public sealed record PolicyClusterStatus
{
    [JsonPropertyName("clustername")]
    public string? ClusterName { get; init; }

    [JsonPropertyName("clusternamespace")]
    public string? ClusterNamespace { get; init; }

    public string? Compliant { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public static class ComplianceStates
{
    public const string Compliant = "Compliant";
    public const string NonCompliant = "NonCompliant";
    public const string Pending = "Pending";
}
