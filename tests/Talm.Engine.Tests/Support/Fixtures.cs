using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Api.Work;

namespace Talm.Engine.Tests.Support;

/// <summary>CGUs, policies and RHACM objects shaped like the reference's kuttl fixtures.</summary>
public static class Fixtures
{
    public static ClusterGroupUpgrade Cgu(
        string[]? clusters,
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
        string ns = "default",
        IReadOnlyDictionary<string, string>? annotations = null) => new()
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = ns,
                Finalizers = withFinalizer ? [ClusterGroupUpgrade.CleanupFinalizer] : null,
                Annotations = annotations,
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

    public static ClusterGroupUpgrade WithAnnotations(this ClusterGroupUpgrade cgu, params (string Key, string Value)[] annotations) =>
        cgu with { Metadata = cgu.Metadata with { Annotations = annotations.ToDictionary(a => a.Key, a => a.Value) } };

    /// <summary>A ConfigurationPolicy (the objectDefinition of a policy template) with these object templates.</summary>
    public static JsonElement ConfigPolicy(params string[] objectTemplates) => KubeJson.Element(
        """{"apiVersion":"policy.open-cluster-management.io/v1","kind":"ConfigurationPolicy","metadata":{"name":"cp"},"spec":{"remediationAction":"inform","severity":"low","object-templates":["""
        + string.Join(',', objectTemplates) + "]}}");

    /// <summary>A ConfigurationPolicy whose object templates are object-templates-raw YAML.</summary>
    public static JsonElement RawConfigPolicy(string yaml) => KubeJson.Element(
        """{"apiVersion":"policy.open-cluster-management.io/v1","kind":"ConfigurationPolicy","metadata":{"name":"cp"},"spec":{"object-templates-raw":"""
        + JsonSerializer.Serialize(yaml) + "}}");

    public static string MustHave(string objectDefinition, string compliance = "musthave") =>
        $$"""{"complianceType":"{{compliance}}","objectDefinition":{{objectDefinition}}}""";

    public static string ConfigMap(string name, string ns = "default", string compliance = "musthave") =>
        MustHave($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"}}""", compliance);

    public static string Subscription(string name, string ns, string package, string channel, string? status = null) =>
        MustHave($$$"""{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},"spec":{"name":"{{{package}}}","channel":"{{{channel}}}","installPlanApproval":"Manual"}{{{(status is null ? "" : ",\"status\":" + status)}}}}""");

    public static string CatalogSource(string name, string image) =>
        MustHave($$$"""{"apiVersion":"operators.coreos.com/v1alpha1","kind":"CatalogSource","metadata":{"name":"{{{name}}}","namespace":"openshift-marketplace"},"spec":{"image":"{{{image}}}","sourceType":"grpc"}}""");

    public static string ClusterVersion(string? upstream = null, string? channel = null, string? version = null, string? image = null)
    {
        var spec = new JsonObject();
        if (upstream is not null) spec["upstream"] = upstream;
        if (channel is not null) spec["channel"] = channel;
        if (version is not null || image is not null)
        {
            var desired = new JsonObject();
            if (version is not null) desired["version"] = version;
            if (image is not null) desired["image"] = image;
            spec["desiredUpdate"] = desired;
        }
        var cv = new JsonObject { ["apiVersion"] = "config.openshift.io/v1", ["kind"] = "ClusterVersion", ["metadata"] = new JsonObject { ["name"] = "version" }, ["spec"] = spec };
        return MustHave(cv.ToJsonString());
    }

    /// <summary>A fleet: clusters c1..cN, each non-compliant with every policy (in namespace ztp).</summary>
    public static FakeHub Fleet(ClusterGroupUpgrade cgu, int clusters, params string[] policies)
    {
        var hub = new FakeHub(cgu);
        var names = Names(clusters);
        hub.Clusters(names);
        foreach (var p in policies)
            hub.Policy(p, ComplianceStates.NonCompliant, names);
        return hub;
    }

    /// <summary>A hub for a CGU over c1..cN with one policy per name, every cluster non-compliant.</summary>
    public static FakeHub Hub(int clusters = 1, int maxConcurrency = 1, bool backup = false, bool preCaching = false, bool enable = true,
        int timeout = 240, string[]? canaries = null, string? batchTimeoutAction = null, params string[] policies)
    {
        if (policies.Length == 0)
            policies = ["p"];
        var cgu = Cgu(Names(clusters), policies, maxConcurrency, backup, preCaching, enable, timeout, canaries, batchTimeoutAction);
        return Fleet(cgu, clusters, policies);
    }

    public static string[] Names(int n) => [.. Enumerable.Range(1, n).Select(i => $"c{i}")];

    public static ManagedClusterView View(string cluster, string name, string resource, string resourceName, string? ns, string status, string reason, string? result)
    {
        var view = new ManagedClusterView
        {
            Metadata = new ObjectMeta { Name = name, Namespace = cluster },
            Spec = new ManagedClusterViewSpec { Scope = new ViewScope { Resource = resource, Name = resourceName, Namespace = ns } },
            Status = new ManagedClusterViewStatus
            {
                Conditions = [new Condition { Type = "Processing", Status = status, Reason = reason, Message = status == "True" ? "Watching resources successfully" : "failed to get resource" }],
                Result = result is null ? null : KubeJson.Element(result),
            },
        };
        return view;
    }

    /// <summary>A ManifestWorkReplicaSet in <paramref name="ns"/> whose work template holds one manifest, with an expected-values annotation.</summary>
    public static ManifestWorkReplicaSet Template(string name, string ns = "default", string? expectedValues = null, string manifestName = "upgrade") => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            Namespace = ns,
            Annotations = expectedValues is null ? null : new Dictionary<string, string> { ["openshift-cluster-group-upgrades/expectedValues"] = expectedValues },
        },
        Spec = KubeJson.Element($$"""
            {"placementRefs":[{"name":"dummy"}],
             "manifestWorkTemplate":{
               "deleteOption":{"propagationPolicy":"Orphan"},
               "manifestConfigs":[{"feedbackRules":[{"jsonPaths":[{"name":"isPrepCompleted","path":".status.conditions[?(@.type==\"PrepCompleted\")].status"}],"type":"JSONPaths"}],
                                   "resourceIdentifier":{"group":"lca.openshift.io","name":"{{manifestName}}","resource":"imagebasedupgrades"} }],
               "workload":{"manifests":[{"apiVersion":"lca.openshift.io/v1alpha1","kind":"ImageBasedUpgrade","metadata":{"name":"{{manifestName}}"},"spec":{"stage":"Prep"} }]} } }
            """),
    };
}

/// <summary>ManifestWork statuses as the work agent reports them.</summary>
public static class Works
{
    /// <summary>Applied and available, with every expected feedback value present (as strings).</summary>
    public static JsonElement Done(string? expectedValues)
    {
        var values = new JsonArray();
        if (!string.IsNullOrEmpty(expectedValues))
        {
            foreach (var v in JsonNode.Parse(expectedValues)!.AsArray())
                values.Add(new JsonObject { ["name"] = v!["name"]!.GetValue<string>(), ["fieldValue"] = new JsonObject { ["type"] = "String", ["string"] = v["value"]!.GetValue<string>() } });
        }
        return Status(applied: true, available: true, synced: true, values);
    }

    public static JsonElement Status(bool applied, bool available, bool synced, JsonArray? feedback = null)
    {
        JsonObject Cond(string type, bool ok) => new() { ["type"] = type, ["status"] = ok ? "True" : "False", ["reason"] = ok ? "Ok" : "Failed", ["message"] = ok ? "done" : "Failed to apply", ["lastTransitionTime"] = "2026-03-01T08:00:00Z" };
        var manifest = new JsonObject
        {
            ["resourceMeta"] = new JsonObject { ["ordinal"] = 0, ["group"] = "lca.openshift.io", ["version"] = "v1alpha1", ["kind"] = "ImageBasedUpgrade", ["resource"] = "imagebasedupgrades", ["name"] = "upgrade", ["namespace"] = "" },
            ["conditions"] = new JsonArray(Cond("Applied", applied), Cond("Available", available), Cond("StatusFeedbackSynced", synced)),
            ["statusFeedback"] = new JsonObject { ["values"] = feedback ?? [] },
        };
        var status = new JsonObject
        {
            ["conditions"] = new JsonArray(Cond("Applied", applied), Cond("Available", available)),
            ["resourceStatus"] = new JsonObject { ["manifests"] = new JsonArray(manifest) },
        };
        return JsonSerializer.SerializeToElement(status);
    }

    public static JsonArray Feedback(params (string Name, string Value)[] values) =>
        [.. values.Select(v => (JsonNode)new JsonObject { ["name"] = v.Name, ["fieldValue"] = new JsonObject { ["type"] = "String", ["string"] = v.Value } })];
}
