using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Talm.KubeApi.Tests.Support;

/// <summary>A typed custom object as an operator would declare it, for the client conformance tests.</summary>
public sealed class ClusterGroupUpgrade : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "ran.openshift.io/v1alpha1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "ClusterGroupUpgrade";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public CguSpec? Spec { get; set; }

    [JsonPropertyName("status")]
    public CguStatus? Status { get; set; }
}

public sealed class CguSpec
{
    [JsonPropertyName("enable")]
    public bool? Enable { get; set; }

    [JsonPropertyName("clusters")]
    public List<string>? Clusters { get; set; }

    [JsonPropertyName("remediationStrategy")]
    public RemediationStrategy? RemediationStrategy { get; set; }
}

public sealed class RemediationStrategy
{
    [JsonPropertyName("maxConcurrency")]
    public int? MaxConcurrency { get; set; }

    [JsonPropertyName("timeout")]
    public int? Timeout { get; set; }
}

public sealed class CguStatus
{
    [JsonPropertyName("conditions")]
    public List<V1Condition>? Conditions { get; set; }
}

public sealed class CguList : IKubernetesObject<V1ListMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "ran.openshift.io/v1alpha1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "ClusterGroupUpgradeList";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public List<ClusterGroupUpgrade> Items { get; set; } = [];
}
