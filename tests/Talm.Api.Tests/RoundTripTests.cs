using System.Text.Json.Nodes;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Rhacm;

namespace Talm.Api.Tests;

public sealed class RoundTripTests
{
    private const string Cgu = """
        {
          "apiVersion": "ran.openshift.io/v1alpha1",
          "kind": "ClusterGroupUpgrade",
          "metadata": {"name": "du-upgrade-4918", "namespace": "ztp-group-du-sno", "uid": "u1", "managedFields": [{"manager": "kubectl"}],
                       "annotations": {"cluster-group-upgrades-operator/name-suffix": "kuttl"}},
          "spec": {
            "clusters": ["cnfdb1", "cnfdb2"],
            "clusterLabelSelectors": [{"matchLabels": {"upgrade": "true"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["a"]}]}],
            "clusterSelector": ["upgrade=true"],
            "managedPolicies": ["du-upgrade-platform-upgrade"],
            "enable": true, "backup": true, "preCaching": true,
            "preCachingConfigRef": {"name": "pcc", "namespace": "ztp"},
            "remediationStrategy": {"maxConcurrency": 2, "timeout": 240, "canaries": ["cnfdb1"], "futureKnob": "x"},
            "batchTimeoutAction": "Abort",
            "blockingCRs": [{"name": "other", "namespace": "ztp"}],
            "actions": {"beforeEnable": {"addClusterLabels": {"a": "b"}, "deleteClusterLabels": {"old": ""}},
                        "afterCompletion": {"removeClusterLabels": ["a"], "addClusterAnnotations": {"x": "y"}, "removeClusterAnnotations": ["z"], "deleteObjects": false}},
            "manifestWorkTemplates": ["mw"],
            "newSpecField": {"nested": [1, 2]}
          },
          "status": {
            "conditions": [{"type": "BackupSuceeded", "status": "True", "reason": "PartiallyDone", "message": "Backup failed for 1 clusters", "lastTransitionTime": "2026-01-01T10:00:00Z"}],
            "computedMaxConcurrency": 2,
            "remediationPlan": [["cnfdb1"]],
            "managedPoliciesForUpgrade": [{"name": "du-upgrade-platform-upgrade", "namespace": "ztp-group"}],
            "managedPoliciesCompliantBeforeUpgrade": ["p0"],
            "managedPoliciesNs": {"du-upgrade-platform-upgrade": "ztp-group"},
            "managedPoliciesContent": {"du-upgrade-platform-upgrade": "[{\"kind\":\"Subscription\",\"name\":\"s\",\"apiVersion\":\"operators.coreos.com/v1alpha1\"}]"},
            "placements": ["p-kuttl"], "placementBindings": ["p-kuttl"],
            "safeResourceNames": {"ztp-group/p": "p-kuttl"},
            "backup": {"startedAt": "2026-01-01T10:00:00Z", "status": {"cnfdb1": "Succeeded", "cnfdb2": "UnrecoverableError"}, "clusters": [], "agentVersion": "9"},
            "precaching": {"spec": {"platformImage": "quay.io/x", "spaceRequired": "35", "later": true}, "status": {"cnfdb1": "Succeeded"}, "clusters": []},
            "clusters": [{"name": "cnfdb1", "state": "complete"}, {"name": "cnfdb3", "state": "timedout", "currentPolicy": {"name": "p", "status": "NonCompliant"}}],
            "status": {"startedAt": "2026-01-01T10:00:00Z", "currentBatch": 1, "currentBatchStartedAt": "2026-01-01T10:20:00Z",
                       "currentBatchRemediationProgress": {"cnfdb1": {"state": "InProgress", "policyIndex": 0, "more": "kept"}}},
            "unknownStatusField": {"a": [true]}
          },
          "topLevelUnknown": 3
        }
        """;

    [Fact]
    public void Cgu_round_trips_without_losing_unknown_fields()
    {
        var model = KubeJson.Deserialize<ClusterGroupUpgrade>(Cgu);
        var again = KubeJson.Serialize(model);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Cgu), JsonNode.Parse(again)), again);
    }

    [Fact]
    public void Cgu_fields_land_in_the_model()
    {
        var m = KubeJson.Deserialize<ClusterGroupUpgrade>(Cgu);
        Assert.Equal(["cnfdb1", "cnfdb2"], m.Spec.Clusters!);
        Assert.True(m.Spec.IsBackup && m.Spec.IsPreCaching && m.Spec.IsEnabled && m.Spec.AbortsOnBatchTimeout);
        Assert.Equal(240, m.Spec.RemediationStrategy!.TimeoutMinutes);
        Assert.False(m.Spec.Actions!.AfterCompletion!.ShouldDeleteObjects);
        Assert.Equal("UnrecoverableError", m.Status!.Backup!.Status!["cnfdb2"]);
        Assert.Equal("kept", m.Status.Status!.CurrentBatchRemediationProgress!["cnfdb1"].Extra!["more"].GetString());
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 20, 0, TimeSpan.Zero), m.Status.Status.CurrentBatchStartedAt);
    }

    [Fact]
    public void Absent_booleans_take_the_crd_defaults()
    {
        var m = KubeJson.Deserialize<ClusterGroupUpgrade>("""{"spec":{"remediationStrategy":{"maxConcurrency":1}}}""");
        Assert.True(m.Spec.IsEnabled);
        Assert.False(m.Spec.IsBackup);
        Assert.False(m.Spec.IsPreCaching);
        Assert.False(m.Spec.AbortsOnBatchTimeout);
        Assert.Equal(240, m.Spec.RemediationStrategy!.TimeoutMinutes);
        Assert.Equal("ran.openshift.io/v1alpha1", m.ApiVersion);
    }

    [Fact]
    public void Deep_copy_is_independent_of_the_original()
    {
        var m = KubeJson.Deserialize<ClusterGroupUpgrade>(Cgu).Status!;
        var copy = m.DeepCopy();
        copy.Backup!.Status!["cnfdb1"] = "Active";
        copy.RemediationPlan![0].Add("x");
        copy.Status!.CurrentBatchRemediationProgress!.Clear();
        Assert.Equal("Succeeded", m.Backup!.Status!["cnfdb1"]);
        Assert.Single(m.RemediationPlan![0]);
        Assert.Single(m.Status!.CurrentBatchRemediationProgress!);
    }

    [Theory]
    [InlineData("""{"apiVersion":"policy.open-cluster-management.io/v1","kind":"Policy","metadata":{"name":"p","namespace":"ns"},"spec":{"disabled":false,"remediationAction":"inform","policy-templates":[{"objectDefinition":{"apiVersion":"policy.open-cluster-management.io/v1","kind":"ConfigurationPolicy","metadata":{"name":"c"},"spec":{"object-templates-raw":"- complianceType: musthave\n"}},"extraDependencies":[]}],"dependencies":[{"name":"q","kind":"Policy","compliance":"Compliant"}]},"status":{"compliant":"NonCompliant","status":[{"clustername":"c1","clusternamespace":"c1","compliant":"Compliant"}],"placement":[{"placement":"x"}]}}""", typeof(Policy))]
    [InlineData("""{"apiVersion":"view.open-cluster-management.io/v1beta1","kind":"ManagedClusterView","metadata":{"name":"view-backup-job","namespace":"c1"},"spec":{"scope":{"resource":"jobs","name":"backup-agent","namespace":"openshift-talo-backup","updateIntervalSeconds":30}},"status":{"conditions":[{"type":"Processing","status":"True","reason":"GetResourceProcessing","message":"Watching resources successfully","lastTransitionTime":"2026-01-01T10:00:00Z"}],"result":{"status":{"active":1}}}}""", typeof(ManagedClusterView))]
    [InlineData("""{"apiVersion":"action.open-cluster-management.io/v1beta1","kind":"ManagedClusterAction","metadata":{"name":"backup-ns-delete","namespace":"c1"},"spec":{"actionType":"Delete","kube":{"name":"openshift-talo-backup","resource":"namespace"}},"status":{"conditions":[{"type":"Completed","status":"True"}]}}""", typeof(ManagedClusterAction))]
    [InlineData("""{"apiVersion":"cluster.open-cluster-management.io/v1beta1","kind":"Placement","metadata":{"name":"p","namespace":"ns","labels":{"app":"openshift-cluster-group-upgrades"}},"spec":{"predicates":[{"requiredClusterSelector":{"labelSelector":{"matchExpressions":[{"key":"name","operator":"In","values":["c1"]}]}}}],"tolerations":[{"key":"cluster.open-cluster-management.io/unreachable","operator":"Exists"}],"clusterSets":["global"]},"status":{"numberOfSelectedClusters":1}}""", typeof(Placement))]
    [InlineData("""{"apiVersion":"policy.open-cluster-management.io/v1","kind":"PlacementBinding","metadata":{"name":"p","namespace":"ns"},"placementRef":{"name":"p","kind":"Placement","apiGroup":"cluster.open-cluster-management.io"},"subjects":[{"name":"pol","kind":"Policy","apiGroup":"policy.open-cluster-management.io"}],"subFilter":"restricted","bindingOverrides":{"remediationAction":"enforce"}}""", typeof(PlacementBinding))]
    [InlineData("""{"apiVersion":"cluster.open-cluster-management.io/v1","kind":"ManagedCluster","metadata":{"name":"c1","labels":{"name":"c1"}},"spec":{"hubAcceptsClient":true},"status":{"conditions":[{"type":"ManagedClusterConditionAvailable","status":"True"}],"version":{"kubernetes":"v1.29"}}}""", typeof(ManagedCluster))]
    [InlineData("""{"apiVersion":"ran.openshift.io/v1alpha1","kind":"PreCachingConfig","metadata":{"name":"pcc","namespace":"ns"},"spec":{"overrides":{"platformImage":"quay.io/p","operatorsIndexes":["i"],"operatorsPackagesAndChannels":["p:c"]},"spaceRequired":"40","excludePrecachePatterns":["aws"],"additionalImages":["img"]},"status":{"conditions":[]}}""", typeof(PreCachingConfig))]
    public void Rhacm_kinds_round_trip(string json, Type type)
    {
        var model = System.Text.Json.JsonSerializer.Deserialize(json, type, KubeJson.Options);
        var again = System.Text.Json.JsonSerializer.Serialize(model, type, KubeJson.Options);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(again)), again);
    }

    [Fact]
    public void Configuration_policy_templates_are_readable()
    {
        var policy = KubeJson.Deserialize<Policy>("""{"spec":{"policy-templates":[{"objectDefinition":{"kind":"ConfigurationPolicy","spec":{"object-templates":[{"complianceType":"musthave","objectDefinition":{"kind":"Subscription","metadata":{"name":"s"}}}]}}}]}}""");
        var cp = ConfigurationPolicy.From(policy.Spec.PolicyTemplates![0].ObjectDefinition)!;
        Assert.Equal("musthave", cp.Spec!.ObjectTemplates![0].ComplianceType);
        Assert.Equal("s", cp.Spec.ObjectTemplates[0].ObjectDefinition!.Value.GetProperty("metadata").GetProperty("name").GetString());
    }

    [Fact]
    public void Yaml_object_templates_raw_parse_to_json()
    {
        var node = YamlJson.Parse("- complianceType: musthave\n  objectDefinition:\n    kind: Subscription\n    spec:\n      channel: \"4.16\"\n      replicas: 3\n      on: true\n");
        Assert.Equal("""[{"complianceType":"musthave","objectDefinition":{"kind":"Subscription","spec":{"channel":"4.16","replicas":3,"on":true}}}]""", node!.ToJsonString());
        Assert.Null(YamlJson.TryParse("a: [unclosed"));
    }

    [Fact]
    public void Kinds_give_rest_paths()
    {
        Assert.Equal("/apis/ran.openshift.io/v1alpha1/namespaces/ns/clustergroupupgrades/x", Meta.Kinds.ClusterGroupUpgrade.ObjectPath("ns", "x"));
        Assert.Equal("/apis/cluster.open-cluster-management.io/v1/managedclusters", Meta.Kinds.ManagedCluster.CollectionPath(null));
        Assert.Same(Meta.Kinds.Placement, Meta.Kinds.Find("cluster.open-cluster-management.io/v1beta1", "Placement"));
    }
}
