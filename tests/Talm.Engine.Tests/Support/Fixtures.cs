using System.Text.Json;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Tests.Support;

public static class Fixtures
{
    public static ClusterGroupUpgrade Cgu(
        string[] clusters,
        string[] policies,
        int maxConcurrency = 1,
        bool backup = false,
        bool preCaching = false,
        bool enable = true,
        int timeout = 240,
        string[]? canaries = null,
        string? batchTimeoutAction = null,
        bool withFinalizer = true,
        string name = "cgu",
        string ns = "default") => new()
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = ns,
                Finalizers = withFinalizer ? [ClusterGroupUpgrade.CleanupFinalizer] : null,
            },
            Spec = new ClusterGroupUpgradeSpec
            {
                Clusters = clusters,
                ManagedPolicies = policies,
                Enable = enable,
                Backup = backup,
                PreCaching = preCaching,
                BatchTimeoutAction = batchTimeoutAction,
                RemediationStrategy = new RemediationStrategy { MaxConcurrency = maxConcurrency, Timeout = timeout, Canaries = canaries },
            },
        };

    public static ClusterGroupUpgrade WithSpec(this ClusterGroupUpgrade cgu, Func<ClusterGroupUpgradeSpec, ClusterGroupUpgradeSpec> change) =>
        cgu with { Spec = change(cgu.Spec) };

    public static PolicyTemplate ConfigPolicyTemplate(string objectTemplatesJson = """[{"complianceType":"musthave","objectDefinition":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"}}}]""") => new()
    {
        ObjectDefinition = KubeJson.Element(
            """{"apiVersion":"policy.open-cluster-management.io/v1","kind":"ConfigurationPolicy","metadata":{"name":"cp"},"spec":{"remediationAction":"inform","severity":"low","object-templates":"""
            + objectTemplatesJson + "}}"),
    };

    public static JsonElement ConfigPolicy(string objectTemplatesJson) => ConfigPolicyTemplate(objectTemplatesJson).ObjectDefinition!.Value;

    public static JsonElement RawConfigPolicy(string yaml) => KubeJson.Element(
        """{"apiVersion":"policy.open-cluster-management.io/v1","kind":"ConfigurationPolicy","metadata":{"name":"cp"},"spec":{"object-templates-raw":"""
        + JsonSerializer.Serialize(yaml) + "}}");

    /// <summary>A fleet: clusters c1..cN, each non-compliant with every policy.</summary>
    public static FakeHub Fleet(ClusterGroupUpgrade cgu, int clusters, params string[] policies)
    {
        var hub = new FakeHub(cgu);
        var names = Enumerable.Range(1, clusters).Select(i => $"c{i}").ToArray();
        foreach (var n in names)
            hub.Cluster(n);
        foreach (var p in policies)
            hub.Policy(p, "ztp", names.ToDictionary(n => n, _ => (string?)ComplianceStates.NonCompliant));
        return hub;
    }

    public static string[] Names(int n) => [.. Enumerable.Range(1, n).Select(i => $"c{i}")];
}
