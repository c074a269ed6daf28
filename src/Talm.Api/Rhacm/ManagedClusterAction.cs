using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Rhacm;

/// <summary>action.open-cluster-management.io/v1beta1 ManagedClusterAction: a one-shot create/delete on a spoke.</summary>
public sealed record ManagedClusterAction : IKubeObject
{
    public string ApiVersion { get; init; } = Kinds.ManagedClusterAction.ApiVersion;
    public string Kind { get; init; } = Kinds.ManagedClusterAction.Kind;
    public ObjectMeta Metadata { get; init; } = new();
    public ManagedClusterActionSpec Spec { get; init; } = new();
    public ManagedClusterActionStatus? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record ManagedClusterActionSpec
{
    public string ActionType { get; init; } = "";
    public KubeWork? Kube { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>spec.kube of an action: the resource to create (template) or delete (name/namespace).</summary>
public sealed record KubeWork
{
    public string Resource { get; init; } = "";
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public JsonElement? Template { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record ManagedClusterActionStatus
{
    public IReadOnlyList<Condition>? Conditions { get; init; }
    public JsonElement? Result { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

public static class ActionTypes
{
    public const string Create = "Create";
    public const string Delete = "Delete";
    public const string Update = "Update";
}
