using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Talm.KubeApi;
using Talm.Operator.Election;
using Talm.Operator.Kube;
using Talm.Operator.Queue;

namespace Talm.Operator.Tests;

/// <summary>
/// An embedded API server with the CGU and RHACM CRDs, a client, a fake clock, and the operator
/// running against it. Tests play RHACM's part (view statuses, policy compliance) through the API
/// and read everything back through the API.
/// </summary>
internal sealed class Hub : IAsyncDisposable
{
    public const string RecoveryImage = "quay.example/talm/recovery:test";
    public const string PolicyNs = "ztp-policies";
    public const string CguNs = "ztp-group";
    public const string ReleaseImage = "quay.example/openshift/release@sha256:4181";

    private readonly List<(OperatorHost Host, Task Run, CancellationTokenSource Stop)> _operators = [];

    private readonly KubeApiServer? _server;

    private Hub(KubeApiServer? server, string kubeconfigPath, IKubernetes client, FakeTimeProvider clock)
    {
        _server = server;
        KubeconfigPath = kubeconfigPath;
        Client = client;
        Clock = clock;
    }

    /// <summary>The in-process API server (not for a hub on a server the test runs as a process).</summary>
    public KubeApiServer Server => _server ?? throw new InvalidOperationException("this hub's API server runs in another process");

    public string KubeconfigPath { get; }
    public IKubernetes Client { get; }
    public FakeTimeProvider Clock { get; }
    public OperatorHost Operator => _operators[^1].Host;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Talm.slnx) above the test binaries");
        }
    }

    /// <summary>The hub most stories start from: spoke1 and spoke2, both NonCompliant with policy "upgrade".</summary>
    public static async Task<Hub> StartWithTwoSpokesAsync()
    {
        var hub = await StartAsync();
        foreach (var c in new[] { "spoke1", "spoke2" }) await hub.ClusterAsync(c);
        await hub.PolicyAsync("upgrade", new() { ["spoke1"] = "NonCompliant", ["spoke2"] = "NonCompliant" });
        return hub;
    }

    public static async Task<Hub> StartAsync(string? tokenAuthFile = null)
    {
        var root = RepoRoot;
        var crds = Directory.GetFiles(Path.Combine(root, "deploy", "crds"), "*.yaml")
            .Concat(Directory.GetFiles(Path.Combine(root, "deploy", "lab-crds"), "*.yaml")).ToList();
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ManifestFiles = crds, TokenAuthFile = tokenAuthFile });
        var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
        var hub = new Hub(server, server.KubeconfigPath, client, new FakeTimeProvider(DateTimeOffset.UtcNow));
        await hub.NamespaceAsync(PolicyNs);
        await hub.NamespaceAsync(CguNs);
        return hub;
    }

    /// <summary>A hub on an API server running elsewhere (its CRDs already loaded); the caller seeds it.</summary>
    public static Hub Connect(string kubeconfigPath) =>
        new(null, kubeconfigPath, new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath)),
            new FakeTimeProvider(DateTimeOffset.UtcNow));

    public static OperatorOptions Options(string? recoveryImage = RecoveryImage, LeaderElectionOptions? election = null, string? instance = null) => new()
    {
        RecoveryImage = recoveryImage,
        PrecacheImage = "quay.example/talm/precache:test",
        HealthBind = "127.0.0.1:0",
        MetricsBind = "127.0.0.1:0",
        Workers = 2,
        Backoff = new Backoff(TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1)),
        LeaderElection = election,
        Instance = instance ?? "operator-" + Guid.NewGuid().ToString("n")[..6],
    };

    /// <summary>Starts an operator (its own client) and waits until its caches are synced.</summary>
    public async Task<OperatorHost> StartOperatorAsync(OperatorOptions? options = null, DelegatingHandler? spy = null,
        Microsoft.Extensions.Logging.ILoggerFactory? logs = null, TimeProvider? time = null)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath);
        var client = spy is null ? new Kubernetes(config) : new Kubernetes(config, spy);
        var host = new OperatorHost(client, options ?? Options(), time ?? Clock, logs ?? NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => host.RunAsync(stop.Token));
        _operators.Add((host, run, stop));
        await Eventually.TrueAsync(() => host.Ready || run.IsCompleted, "the operator's caches to sync");
        if (run.IsFaulted) await run;
        return host;
    }

    public async Task StopOperatorAsync(OperatorHost host)
    {
        var entry = _operators.Single(o => o.Host == host);
        _operators.Remove(entry);
        await entry.Stop.CancelAsync();
        await entry.Run.WaitAsync(TimeSpan.FromSeconds(20));
        entry.Host.Dispose();
        entry.Stop.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var op in _operators.ToList())
        {
            try
            {
                await StopOperatorAsync(op.Host);
            }
            catch (Exception)
            {
                // A test that failed may leave a faulted operator; the server goes anyway.
            }
        }
        Client.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    // ---- seeding -------------------------------------------------------------------------

    public async Task NamespaceAsync(string name)
    {
        try
        {
            await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
        }
    }

    /// <summary>A ManagedCluster and its namespace, available.</summary>
    public async Task ClusterAsync(string name, Dictionary<string, string>? labels = null)
    {
        await NamespaceAsync(name);
        var cluster = new JsonObject
        {
            ["apiVersion"] = "cluster.open-cluster-management.io/v1",
            ["kind"] = "ManagedCluster",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = Obj(labels ?? new() { ["name"] = name }) },
            ["spec"] = new JsonObject { ["hubAcceptsClient"] = true },
        };
        await Client.CustomObjects.CreateClusterCustomObjectAsync(cluster, "cluster.open-cluster-management.io", "v1", "managedclusters");
        await PatchStatusAsync(WatchedKind.ManagedCluster, null, name, new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "ManagedClusterConditionAvailable", ["status"] = "True", ["reason"] = "ManagedClusterAvailable",
                ["message"] = "ok", ["lastTransitionTime"] = "2026-01-01T00:00:00Z",
            }),
        });
    }

    /// <summary>A root policy (inform) with a child in each cluster's namespace, and its compliance per cluster.</summary>
    public async Task PolicyAsync(string name, Dictionary<string, string> compliance)
    {
        var templates = new JsonArray(new JsonObject
        {
            ["objectDefinition"] = new JsonObject
            {
                ["apiVersion"] = "policy.open-cluster-management.io/v1",
                ["kind"] = "ConfigurationPolicy",
                ["metadata"] = new JsonObject { ["name"] = name + "-config" },
                ["spec"] = new JsonObject
                {
                    ["remediationAction"] = "inform",
                    ["object-templates"] = new JsonArray(new JsonObject
                    {
                        ["complianceType"] = "musthave",
                        ["objectDefinition"] = new JsonObject
                        {
                            ["apiVersion"] = "config.openshift.io/v1", ["kind"] = "ClusterVersion",
                            ["metadata"] = new JsonObject { ["name"] = "version" },
                            // The release image given outright: the reference resolves only that, or upstream + channel + version through an update graph.
                            ["spec"] = new JsonObject { ["desiredUpdate"] = new JsonObject { ["version"] = "4.18.1", ["image"] = ReleaseImage } },
                        },
                    }),
                },
            },
        });
        await CreateAsync(WatchedKind.Policy, PolicyNs, new JsonObject
        {
            ["apiVersion"] = "policy.open-cluster-management.io/v1",
            ["kind"] = "Policy",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = PolicyNs },
            ["spec"] = new JsonObject { ["remediationAction"] = "inform", ["disabled"] = false, ["policy-templates"] = templates.DeepClone() },
        });
        foreach (var cluster in compliance.Keys)
        {
            await CreateAsync(WatchedKind.Policy, cluster, new JsonObject
            {
                ["apiVersion"] = "policy.open-cluster-management.io/v1",
                ["kind"] = "Policy",
                ["metadata"] = new JsonObject
                {
                    ["name"] = $"{PolicyNs}.{name}", ["namespace"] = cluster,
                    ["labels"] = new JsonObject { ["policy.open-cluster-management.io/root-policy"] = $"{PolicyNs}.{name}" },
                },
                ["spec"] = new JsonObject { ["remediationAction"] = "inform", ["disabled"] = false, ["policy-templates"] = templates.DeepClone() },
            });
        }
        await SetComplianceAsync(name, compliance);
    }

    /// <summary>RHACM's part: the root policy's per-cluster compliance, and each child's.</summary>
    public async Task SetComplianceAsync(string policy, Dictionary<string, string> compliance)
    {
        var current = await GetAsync(WatchedKind.Policy, PolicyNs, policy);
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        if (current?.TryGetProperty("status", out var st) == true && st.TryGetProperty("status", out var list))
            foreach (var e in list.EnumerateArray()) merged[e.GetProperty("clustername").GetString()!] = e.GetProperty("compliant").GetString()!;
        foreach (var (k, v) in compliance) merged[k] = v;
        var entries = new JsonArray([.. merged.Select(p => (JsonNode)new JsonObject
        {
            ["clustername"] = p.Key, ["clusternamespace"] = p.Key, ["compliant"] = p.Value,
        })]);
        await PatchStatusAsync(WatchedKind.Policy, PolicyNs, policy, new JsonObject
        {
            ["compliant"] = merged.Values.All(v => v == "Compliant") ? "Compliant" : "NonCompliant",
            ["status"] = entries,
        });
        foreach (var (cluster, state) in compliance)
            await PatchStatusAsync(WatchedKind.Policy, cluster, $"{PolicyNs}.{policy}", new JsonObject { ["compliant"] = state });
    }

    public async Task CguAsync(string name, JsonObject spec, Dictionary<string, string>? annotations = null)
    {
        var meta = new JsonObject
        {
            ["name"] = name, ["namespace"] = CguNs,
            ["annotations"] = Obj(annotations ?? new() { ["cluster-group-upgrades-operator/name-suffix"] = "kuttl" }),
        };
        await CreateAsync(WatchedKind.ClusterGroupUpgrade, CguNs, new JsonObject
        {
            ["apiVersion"] = "ran.openshift.io/v1alpha1", ["kind"] = "ClusterGroupUpgrade", ["metadata"] = meta, ["spec"] = spec,
        });
    }

    // ---- RHACM's part: views ------------------------------------------------------------

    /// <summary>The reference's short requeue: how long it waits before looking at a backup or pre-cache step again.</summary>
    public static readonly TimeSpan ShortRequeue = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits for an object the operator creates. The reference creates some at its next timed
    /// reconcile (30 s after the previous step, nothing else waking it): while the object is not
    /// there, the fake clock moves on by that much every second of waiting.
    /// </summary>
    public async Task<JsonElement> WaitForCreatedAsync(WatchedKind kind, string ns, string name, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var tick = DateTime.UtcNow.AddMilliseconds(500);
        while (true)
        {
            if (await GetAsync(kind, ns, name) is { } found) return found;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds}s waiting for {kind.Kind} {ns}/{name} to be created");
            if (DateTime.UtcNow > tick)
            {
                Clock.Advance(ShortRequeue);
                tick = DateTime.UtcNow.AddSeconds(1);
            }
            await Task.Delay(25);
        }
    }

    /// <summary>Waits for the view the operator creates, then fills its status as RHACM would.</summary>
    public async Task AnswerViewAsync(string cluster, string view, JsonObject? result, string? notFoundMessage = null)
    {
        await WaitForCreatedAsync(WatchedKind.ManagedClusterView, cluster, view);
        var condition = result is not null
            ? new JsonObject { ["type"] = "Processing", ["status"] = "True", ["reason"] = "GetResourceProcessing", ["message"] = "Watching resources successfully" }
            : new JsonObject { ["type"] = "Processing", ["status"] = "False", ["reason"] = "GetResourceFailed", ["message"] = notFoundMessage ?? "failed to get resource: not found" };
        condition["lastTransitionTime"] = Clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ");
        var status = new JsonObject { ["conditions"] = new JsonArray(condition) };
        if (result is not null) status["result"] = result;
        // Replace the status whole, as RHACM does: a merge would keep fields of the earlier result.
        var kind = WatchedKind.ManagedClusterView;
        var current = JsonNode.Parse((await WaitForAsync(kind, cluster, view)).GetRawText())!.AsObject();
        current["status"] = status;
        await Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(current, kind.Group, kind.Version, cluster, kind.Plural, view);
    }

    public Task NamespaceExistsOnSpokeAsync(string cluster) =>
        AnswerViewAsync(cluster, "view-backup-namespace", new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = "openshift-talo-backup" }, ["status"] = new JsonObject { ["phase"] = "Active" },
        });

    /// <summary>The backup Job on the spoke, as the job view shows it.</summary>
    public Task JobAsync(string cluster, JsonObject jobStatus, JsonObject? annotations = null)
    {
        var metadata = new JsonObject { ["name"] = "backup-agent", ["namespace"] = "openshift-talo-backup" };
        if (annotations is not null) metadata["annotations"] = annotations;
        return AnswerViewAsync(cluster, "view-backup-job", new JsonObject
        {
            ["apiVersion"] = "batch/v1", ["kind"] = "Job",
            ["metadata"] = metadata,
            ["status"] = jobStatus,
        });
    }

    public static JsonObject JobActive() => new() { ["active"] = 1, ["startTime"] = "2026-11-25T10:00:00Z" };

    public static JsonObject JobSucceeded(int seconds = 95) => new()
    {
        ["succeeded"] = 1, ["startTime"] = "2026-11-25T10:00:00Z",
        ["completionTime"] = DateTimeOffset.Parse("2026-11-25T10:00:00Z").AddSeconds(seconds).ToString("yyyy-MM-ddTHH:mm:ssZ"),
    };

    public static JsonObject JobFailed(string reason) => new()
    {
        ["failed"] = 1, ["startTime"] = "2026-11-25T10:00:00Z",
        ["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Failed", ["status"] = "True", ["reason"] = reason, ["lastTransitionTime"] = "2026-11-25T10:08:00Z",
        }),
    };

    // ---- reading through the API --------------------------------------------------------

    public async Task<JsonElement?> GetAsync(WatchedKind kind, string? ns, string name)
    {
        try
        {
            return (JsonElement)(kind.Namespaced
                ? await Client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name)
                : await Client.CustomObjects.GetClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, name));
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<List<string>> NamesAsync(WatchedKind kind, string ns)
    {
        var list = (JsonElement)await Client.CustomObjects.ListNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural);
        return [.. list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()!).Order(StringComparer.Ordinal)];
    }

    public async Task<JsonElement> WaitForAsync(WatchedKind kind, string? ns, string name, double seconds = 15) =>
        (await Eventually.ValueAsync(async () => await GetAsync(kind, ns, name), _ => true, $"{kind.Kind} {ns}/{name} to exist", seconds))!.Value;

    public Task<JsonElement?> Cgu(string name) => GetAsync(WatchedKind.ClusterGroupUpgrade, CguNs, name);

    /// <summary>Waits until the CGU, read through the API, satisfies <paramref name="accept"/>.</summary>
    public async Task<JsonElement> WaitCguAsync(string name, Func<JsonElement, bool> accept, string what, double seconds = 15) =>
        (await Eventually.ValueAsync(async () => await Cgu(name), c => accept(c!.Value), $"CGU {name}: {what}", seconds))!.Value;

    public Task<JsonElement> WaitConditionAsync(string cgu, string type, string status, string reason, string? message = null) =>
        WaitCguAsync(cgu, c => Condition(c, type) is { } x && x.Status == status && x.Reason == reason && (message is null || x.Message == message),
            $"condition {type}={status}/{reason}" + (message is null ? "" : $" \"{message}\""));

    public static (string Status, string Reason, string Message)? Condition(JsonElement cgu, string type)
    {
        if (!cgu.TryGetProperty("status", out var st) || !st.TryGetProperty("conditions", out var conditions)) return null;
        foreach (var c in conditions.EnumerateArray())
        {
            if (c.GetProperty("type").GetString() == type)
                return (c.GetProperty("status").GetString()!, c.GetProperty("reason").GetString()!, c.GetProperty("message").GetString()!);
        }

        return null;
    }

    public static string? BackupState(JsonElement cgu, string cluster) =>
        cgu.TryGetProperty("status", out var st) && st.TryGetProperty("backup", out var b) && b.TryGetProperty("status", out var m) &&
        m.TryGetProperty(cluster, out var s) ? s.GetString() : null;

    public static string Plan(JsonElement cgu) =>
        cgu.TryGetProperty("status", out var st) && st.TryGetProperty("remediationPlan", out var plan)
            ? string.Join(" | ", plan.EnumerateArray().Select(b => string.Join(",", b.EnumerateArray().Select(c => c.GetString()))))
            : "";

    /// <summary>The clusters the Placement for a policy currently selects.</summary>
    public async Task<string> PlacementClustersAsync(string cgu, string policy)
    {
        var name = $"{cgu}-{policy}-placement-kuttl";
        var placement = await GetAsync(WatchedKind.Placement, PolicyNs, name);
        if (placement is null) return "<no placement>";
        var names = new List<string>();
        foreach (var p in placement.Value.GetProperty("spec").TryGetProperty("predicates", out var preds) ? preds.EnumerateArray() : default)
        {
            foreach (var e in p.GetProperty("requiredClusterSelector").GetProperty("labelSelector").GetProperty("matchExpressions").EnumerateArray())
                names.AddRange(e.TryGetProperty("values", out var v) ? v.EnumerateArray().Select(x => x.GetString()!) : []);
        }

        return string.Join(",", names);
    }

    public async Task<List<Corev1Event>> EventsAsync(string ns = CguNs) =>
        [.. (await Client.CoreV1.ListNamespacedEventAsync(ns)).Items.OrderBy(e => e.Metadata.CreationTimestamp)];

    // ---- plumbing ----------------------------------------------------------------------

    public async Task CreateAsync(WatchedKind kind, string? ns, JsonObject body)
    {
        if (kind.Namespaced) await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, kind.Group, kind.Version, ns, kind.Plural);
        else await Client.CustomObjects.CreateClusterCustomObjectAsync(body, kind.Group, kind.Version, kind.Plural);
    }

    public async Task PatchAsync(WatchedKind kind, string? ns, string name, JsonObject patch)
    {
        var p = new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
        if (kind.Namespaced) await Client.CustomObjects.PatchNamespacedCustomObjectAsync(p, kind.Group, kind.Version, ns, kind.Plural, name);
        else await Client.CustomObjects.PatchClusterCustomObjectAsync(p, kind.Group, kind.Version, kind.Plural, name);
    }

    public async Task PatchStatusAsync(WatchedKind kind, string? ns, string name, JsonObject status)
    {
        var p = new V1Patch(new JsonObject { ["status"] = status }.ToJsonString(), V1Patch.PatchType.MergePatch);
        if (kind.Namespaced) await Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(p, kind.Group, kind.Version, ns, kind.Plural, name);
        else await Client.CustomObjects.PatchClusterCustomObjectStatusAsync(p, kind.Group, kind.Version, kind.Plural, name);
    }

    public static JsonObject Obj(Dictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map) o[k] = v;
        return o;
    }

    public static JsonArray Arr(params string[] items) => new([.. items.Select(i => (JsonNode)JsonValue.Create(i)!)]);
}
