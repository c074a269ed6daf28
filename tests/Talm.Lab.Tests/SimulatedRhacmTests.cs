using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Api.Meta;
using Talm.KubeApi;
using Talm.Lab.Hub;
using Talm.Lab.Rhacm;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;

namespace Talm.Lab.Tests;

/// <summary>The simulated RHACM against the real embedded API server, through the official client.</summary>
public sealed class SimulatedRhacmTests : IAsyncLifetime
{
    private KubeApiServer _server = null!;
    private HubClient _hub = null!;
    private readonly Dictionary<string, SimulatedSpoke> _spokes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _rhacm = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ManifestFiles = LabCrds.Files() });
        _hub = HubClient.FromKubeconfig(_server.KubeconfigPath);
        var timing = FastSpokeTiming.Instant with { Precache = TimeSpan.FromMilliseconds(200) };
        _spokes["cnfdb1"] = new FastSpoke("cnfdb1", SpokeFaults.None, timing, TimeProvider.System);
        _spokes["cnfdb2"] = new FastSpoke("cnfdb2", new SpokeFaults(FailBackup: true), timing, TimeProvider.System);
        _spokes["cnfdb3"] = new FastSpoke("cnfdb3", new SpokeFaults(Unreachable: true), timing, TimeProvider.System);
        var rhacm = new SimulatedRhacm(_hub, _spokes, TimeProvider.System, NullLogger.Instance);
        _rhacm = rhacm.RunAsync(_stop.Token);
        foreach (var n in _spokes.Keys)
        {
            await _hub.CreateAsync(Kinds.Namespace, HubObjects.Namespace(n), default);
            await _hub.CreateAsync(Kinds.ManagedCluster, HubObjects.ManagedCluster(n), default);
        }
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _rhacm; }
        catch (OperationCanceledException) { }
        foreach (var s in _spokes.Values) await s.DisposeAsync();
        await _server.DisposeAsync();
        _stop.Dispose();
    }

    private static JsonObject Action(string cluster, string name, string type, JsonObject kube) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = cluster },
        ["spec"] = new JsonObject { ["actionType"] = type, ["kube"] = kube },
    };

    private static JsonObject View(string cluster, string name, string resource, string target, string? ns = null)
    {
        var scope = new JsonObject { ["resource"] = resource, ["name"] = target };
        if (ns is not null) scope["namespace"] = ns;
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = cluster },
            ["spec"] = new JsonObject { ["scope"] = scope },
        };
    }

    private async Task CreateBackupObjects(string cluster)
    {
        var ns = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "openshift-talo-backup" } };
        var sa = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = "backup-agent", ["namespace"] = "openshift-talo-backup" } };
        var job = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new JsonObject { ["name"] = "backup-agent", ["namespace"] = "openshift-talo-backup" },
            ["spec"] = new JsonObject
            {
                ["activeDeadlineSeconds"] = 480,
                ["backoffLimit"] = 0,
                ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["args"] = new JsonArray("launchBackup") }) } },
            },
        };
        await _hub.CreateAsync(Kinds.ManagedClusterAction, Action(cluster, "backup-ns-create", "Create", new JsonObject { ["resource"] = "namespace", ["template"] = ns }), default);
        await _hub.CreateAsync(Kinds.ManagedClusterAction, Action(cluster, "backup-sa-create", "Create", new JsonObject { ["resource"] = "serviceaccount", ["template"] = sa }), default);
        await _hub.CreateAsync(Kinds.ManagedClusterView, View(cluster, "view-backup-job", "jobs", "backup-agent", "openshift-talo-backup"), default);
        await _hub.CreateAsync(Kinds.ManagedClusterAction, Action(cluster, "backup-job-create", "Create", new JsonObject { ["resource"] = "job", ["namespace"] = "openshift-talo-backup", ["template"] = job }), default);
    }

    private Task<JsonNode> ViewWhen(string cluster, string view, Func<JsonNode, bool> test, string what) =>
        Eventually.Get(async () =>
        {
            var v = await _hub.GetAsync(Kinds.ManagedClusterView, cluster, view, default);
            return v is not null && test(v) ? v : null;
        }, what);

    private static JsonNode? Processing(JsonNode view) =>
        Json.Items(Json.At(view, "status", "conditions")).FirstOrDefault(c => Json.Str(c, "type") == "Processing");

    [Fact]
    public async Task Managed_clusters_report_availability()
    {
        foreach (var (name, want) in new[] { ("cnfdb1", "True"), ("cnfdb3", "Unknown") })
        {
            var mc = await Eventually.Get(async () =>
            {
                var o = await _hub.GetAsync(Kinds.ManagedCluster, "", name, default);
                return Json.Items(Json.At(o, "status", "conditions")).Any(c => Json.Str(c, "type") == "ManagedClusterConditionAvailable") ? o : null;
            }, $"{name} conditions");
            var available = Json.Items(Json.At(mc, "status", "conditions")).Single(c => Json.Str(c, "type") == "ManagedClusterConditionAvailable");
            Assert.Equal(want, Json.Str(available, "status"));
        }
    }

    [Fact]
    public async Task Actions_run_the_backup_job_and_views_follow_it_to_success_or_failure()
    {
        await CreateBackupObjects("cnfdb1");
        await CreateBackupObjects("cnfdb2");

        var ok = await ViewWhen("cnfdb1", "view-backup-job", v => Json.Long(v, "status", "result", "status", "succeeded") == 1, "cnfdb1 job succeeded");
        Assert.Equal("True", Json.Str(Processing(ok), "status"));
        Assert.Null(Json.At(ok, "status", "result", "status", "active"));

        var failed = await ViewWhen("cnfdb2", "view-backup-job", v => Json.Long(v, "status", "result", "status", "failed") == 1, "cnfdb2 job failed");
        var condition = Json.Items(Json.At(failed, "status", "result", "status", "conditions")).Single();
        Assert.Equal("BackoffLimitExceeded", Json.Str(condition, "reason"));

        var action = await Eventually.Get(async () =>
        {
            var a = await _hub.GetAsync(Kinds.ManagedClusterAction, "cnfdb1", "backup-sa-create", default);
            return Json.At(a, "status", "conditions") is not null ? a : null;
        }, "action status");
        var done = Json.Items(Json.At(action, "status", "conditions")).Single();
        Assert.Equal(("Completed", "True"), (Json.Str(done, "type"), Json.Str(done, "status")));

        // Deleting the namespace on the spoke takes the Job with it: the view says "not found".
        await _hub.CreateAsync(Kinds.ManagedClusterAction, Action("cnfdb1", "backup-ns-delete", "Delete",
            new JsonObject { ["resource"] = "namespace", ["name"] = "openshift-talo-backup" }), default);
        var gone = await ViewWhen("cnfdb1", "view-backup-job", v => Json.Str(Processing(v), "status") == "False", "job view not found");
        Assert.EndsWith("not found", Json.Str(Processing(gone), "message"), StringComparison.Ordinal);
        Assert.Null(Json.At(gone, "status", "result"));
    }

    [Fact]
    public async Task An_unreachable_cluster_leaves_actions_and_views_unanswered()
    {
        await CreateBackupObjects("cnfdb3");
        await CreateBackupObjects("cnfdb1");
        await ViewWhen("cnfdb1", "view-backup-job", v => Json.Long(v, "status", "result", "status", "succeeded") == 1, "cnfdb1 job succeeded");
        var view = await _hub.GetAsync(Kinds.ManagedClusterView, "cnfdb3", "view-backup-job", default);
        Assert.Null(Json.At(view, "status"));
        Assert.Null(_spokes["cnfdb3"].Get(SpokeObjectKey.Of("namespace", null, "openshift-talo-backup")));
    }

    [Fact]
    public async Task Policies_propagate_and_an_enforcing_restricted_binding_upgrades_only_its_clusters()
    {
        await _hub.CreateAsync(Kinds.Namespace, HubObjects.Namespace(HubObjects.GroupNamespace), default);
        await _hub.CreateAsync(Kinds.Policy, HubObjects.PlatformUpgradePolicy(), default);
        await _hub.CreateAsync(Kinds.Placement, HubObjects.GroupPlacement(), default);
        await _hub.CreateAsync(Kinds.PlacementBinding, HubObjects.GroupPlacementBinding(), default);
        var child = HubObjects.GroupNamespace + "." + HubObjects.PolicyName;

        var root = await Eventually.Get(async () =>
        {
            var p = await _hub.GetAsync(Kinds.Policy, HubObjects.GroupNamespace, HubObjects.PolicyName, default);
            return Json.Items(Json.At(p, "status", "status")).Count() == 3 ? p : null;
        }, "root policy status for 3 clusters");
        Assert.All(Json.Items(Json.At(root, "status", "status")), e => Assert.Equal("NonCompliant", Json.Str(e, "compliant")));
        var copy = await _hub.GetAsync(Kinds.Policy, "cnfdb1", child, default);
        Assert.Equal("inform", Json.Str(copy, "spec", "remediationAction"));
        Assert.Equal(child, Json.Labels(copy!)["policy.open-cluster-management.io/root-policy"]);

        // What the hub operator does to run a batch: a Placement naming the clusters, bound with enforce.
        await _hub.CreateAsync(Kinds.Placement, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "cgu-placement-kuttl", ["namespace"] = HubObjects.GroupNamespace },
            ["spec"] = JsonNode.Parse("""{"predicates":[{"requiredClusterSelector":{"labelSelector":{"matchExpressions":[{"key":"name","operator":"In","values":["cnfdb1"]}]}}}]}"""),
        }, default);
        await _hub.CreateAsync(Kinds.PlacementBinding, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "cgu-placement-kuttl", ["namespace"] = HubObjects.GroupNamespace },
            ["placementRef"] = new JsonObject { ["apiGroup"] = "cluster.open-cluster-management.io", ["kind"] = "Placement", ["name"] = "cgu-placement-kuttl" },
            ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = "policy.open-cluster-management.io", ["kind"] = "Policy", ["name"] = HubObjects.PolicyName }),
            ["subFilter"] = "restricted",
            ["bindingOverrides"] = new JsonObject { ["remediationAction"] = "enforce" },
        }, default);

        root = await Eventually.Get(async () =>
        {
            var p = await _hub.GetAsync(Kinds.Policy, HubObjects.GroupNamespace, HubObjects.PolicyName, default);
            return Json.Items(Json.At(p, "status", "status")).Any(e => Json.Str(e, "clustername") == "cnfdb1" && Json.Str(e, "compliant") == "Compliant") ? p : null;
        }, "cnfdb1 compliant");
        var byCluster = Json.Items(Json.At(root, "status", "status")).ToDictionary(e => Json.Str(e, "clustername")!, e => Json.Str(e, "compliant"));
        Assert.Equal("NonCompliant", byCluster["cnfdb2"]);
        Assert.Equal("NonCompliant", Json.Str(root, "status", "compliant"));
        Assert.Equal("enforce", Json.Str(await _hub.GetAsync(Kinds.Policy, "cnfdb1", child, default), "spec", "remediationAction"));
        Assert.Equal("inform", Json.Str(await _hub.GetAsync(Kinds.Policy, "cnfdb2", child, default), "spec", "remediationAction"));
        var childStatus = await Eventually.Get(async () =>
        {
            var c = await _hub.GetAsync(Kinds.Policy, "cnfdb1", child, default);
            return Json.Str(c, "status", "compliant") == "Compliant" ? c : null;
        }, "child compliant");
        Assert.NotNull(childStatus);
        Assert.Equal(SpokeUpgradeState.NotStarted, _spokes["cnfdb2"].UpgradeState(child));
    }
}
