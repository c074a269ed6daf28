using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Api.Meta;

namespace Talm.Api.Cgu;

/// <summary>ran.openshift.io/v1alpha1 ClusterGroupUpgrade.</summary>
public sealed record ClusterGroupUpgrade : IKubeObject
{
    public const string ShortName = "cgu";
    public const string Singular = "clustergroupupgrade";
    public const string ListKind = "ClusterGroupUpgradeList";

    /// <summary>Fixed suffix for generated Placement/PlacementBinding names instead of 5 random characters.</summary>
    public const string NameSuffixAnnotation = "cluster-group-upgrades-operator/name-suffix";

    /// <summary>The finalizer that makes a deleted CGU clean up its hub objects first.</summary>
    public const string CleanupFinalizer = "ran.openshift.io/cleanup-finalizer";

    public string ApiVersion { get; init; } = Kinds.ClusterGroupUpgrade.ApiVersion;
    public string Kind { get; init; } = Kinds.ClusterGroupUpgrade.Kind;
    public ObjectMeta Metadata { get; init; } = new();
    public ClusterGroupUpgradeSpec Spec { get; init; } = new();
    public ClusterGroupUpgradeStatus? Status { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore]
    public string Name => Metadata.Name ?? "";

    [JsonIgnore]
    public string Namespace => Metadata.Namespace ?? "";
}
