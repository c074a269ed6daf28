using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Work;

/// <summary>
/// work.open-cluster-management.io/v1 ManifestWork: manifests RHACM applies on one spoke (the object lives
/// in the cluster's namespace). Spec and status are kept as JSON: the hub copies the spec from a template
/// and reads a few status fields.
/// </summary>
public sealed record ManifestWork : IKubeObject
{
    public string ApiVersion { get; init; } = Kinds.ManifestWork.ApiVersion;
    public string Kind { get; init; } = Kinds.ManifestWork.Kind;
    public ObjectMeta Metadata { get; init; } = ObjectMeta.Empty;
    public JsonElement? Spec { get; init; }
    public JsonElement? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>
/// work.open-cluster-management.io/v1alpha1 ManifestWorkReplicaSet: for a CGU, a template of the
/// ManifestWork to create on each cluster (spec.manifestWorkTemplate).
/// </summary>
public sealed record ManifestWorkReplicaSet : IKubeObject
{
    public string ApiVersion { get; init; } = Kinds.ManifestWorkReplicaSet.ApiVersion;
    public string Kind { get; init; } = Kinds.ManifestWorkReplicaSet.Kind;
    public ObjectMeta Metadata { get; init; } = ObjectMeta.Empty;
    public JsonElement? Spec { get; init; }
    public JsonElement? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}
