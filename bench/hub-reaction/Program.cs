using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.KubeApi;
using Talm.Operator;

// How soon a backup Job finishing on a spoke shows in the CGU: this operator (reacting to the view)
// against the reference behaviour (looking again every 30 s), measured in the same run through the
// real client and the embedded API server.
var clusters = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var root = FindRoot();
var crds = Directory.GetFiles(Path.Combine(root, "deploy", "crds"), "*.yaml")
    .Concat(Directory.GetFiles(Path.Combine(root, "deploy", "lab-crds"), "*.yaml")).ToList();

var reacting = await MeasureAsync(reactToViews: true);
var polling = await MeasureAsync(reactToViews: false);
Console.WriteLine($"clusters: {clusters}");
Console.WriteLine($"view -> CGU status, reacting to views (this operator): median {Ms(Median(reacting))} ms, max {Ms(reacting.Max())} ms");
Console.WriteLine($"view -> CGU status, 30 s poll (reference behaviour):   median {Ms(Median(polling))} ms, max {Ms(polling.Max())} ms");
Console.WriteLine($"ratio poll/reacting (median): {Median(polling).TotalMilliseconds / Median(reacting).TotalMilliseconds:0.0}x");
return 0;

async Task<List<TimeSpan>> MeasureAsync(bool reactToViews)
{
    await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ManifestFiles = crds });
    using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
    var names = Enumerable.Range(1, clusters).Select(i => $"spoke{i}").ToList();
    foreach (var ns in names.Append("ztp-policies").Append("ztp-group"))
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
    foreach (var c in names)
    {
        await Create(client, null, "cluster.open-cluster-management.io", "v1", "managedclusters",
            """{"apiVersion":"cluster.open-cluster-management.io/v1","kind":"ManagedCluster","metadata":{"name":""" + Q(c) + """},"spec":{}}""");
    }

    var template = """[{"objectDefinition":{"apiVersion":"policy.open-cluster-management.io/v1","kind":"ConfigurationPolicy","metadata":{"name":"p"},"spec":{"object-templates":[{"complianceType":"musthave","objectDefinition":{"kind":"ClusterVersion","metadata":{"name":"version"},"spec":{}}}]}}}]""";
    await Create(client, "ztp-policies", "policy.open-cluster-management.io", "v1", "policies",
        """{"apiVersion":"policy.open-cluster-management.io/v1","kind":"Policy","metadata":{"name":"upgrade","namespace":"ztp-policies"},"spec":{"remediationAction":"inform","policy-templates":""" + template + "}}");
    foreach (var c in names)
    {
        await Create(client, c, "policy.open-cluster-management.io", "v1", "policies",
            """{"apiVersion":"policy.open-cluster-management.io/v1","kind":"Policy","metadata":{"name":"ztp-policies.upgrade","namespace":""" + Q(c) + """},"spec":{"remediationAction":"inform"}}""");
    }

    var compliance = string.Join(",", names.Select(c => """{"clustername":""" + Q(c) + ""","clusternamespace":""" + Q(c) + ""","compliant":"NonCompliant"}"""));
    await PatchStatus(client, "ztp-policies", "policy.open-cluster-management.io", "v1", "policies", "upgrade", "{\"status\":[" + compliance + "]}");

    using var host = new OperatorHost(client, new OperatorOptions
    {
        RecoveryImage = "recovery:bench", HealthBind = "0", MetricsBind = "0", ReactToSpokeObjects = reactToViews,
    }, TimeProvider.System, NullLoggerFactory.Instance);
    using var stop = new CancellationTokenSource();
    var run = host.RunAsync(stop.Token);
    var clusterList = string.Join(",", names.Select(n => $"\"{n}\""));
    await Create(client, "ztp-group", "ran.openshift.io", "v1alpha1", "clustergroupupgrades",
        """{"apiVersion":"ran.openshift.io/v1alpha1","kind":"ClusterGroupUpgrade","metadata":{"name":"cgu","namespace":"ztp-group"},"spec":{"clusters":[""" + (clusterList) + """],"managedPolicies":["upgrade"],"backup":true,"enable":true,"remediationStrategy":{"maxConcurrency":""" + clusters.ToString(CultureInfo.InvariantCulture) + "}}}");

    // Set-up (not measured): the namespace exists on every spoke and every Job runs.
    foreach (var c in names)
    {
        await Answer(client, c, "view-backup-namespace", """{"kind":"Namespace","metadata":{"name":"openshift-talo-backup"}}""");
    }
    foreach (var c in names) await Answer(client, c, "view-backup-job", """{"kind":"Job","status":{"active":1}}""");
    await Until(client, cgu => names.All(c => State(cgu, c) == "Active"), TimeSpan.FromSeconds(200));

    // Measured: each Job finishes at an arbitrary moment; how long until the CGU says so.
    var latencies = new List<TimeSpan>();
    var random = new Random(7);
    foreach (var c in names)
    {
        // A Job finishes at a moment unrelated to the operator's schedule: against a 30 s poll that
        // means anywhere within the poll period.
        await Task.Delay(random.Next(0, reactToViews ? 1000 : 30000));
        var clock = Stopwatch.StartNew();
        await Answer(client, c, "view-backup-job", """{"kind":"Job","status":{"succeeded":1}}""");
        await Until(client, cgu => State(cgu, c) == "Succeeded", TimeSpan.FromSeconds(60));
        latencies.Add(clock.Elapsed);
        Console.WriteLine($"  {(reactToViews ? "reacting" : "polling ")} {c}: {Ms(clock.Elapsed)} ms");
    }
    await stop.CancelAsync();
    await run;
    return latencies;
}

static async Task Create(IKubernetes client, string? ns, string group, string version, string plural, string json)
{
    var body = JsonNode.Parse(json)!;
    if (ns is null) await client.CustomObjects.CreateClusterCustomObjectAsync(body, group, version, plural);
    else await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, group, version, ns, plural);
}

static string Q(string value) => "\"" + value + "\"";

static Task PatchStatus(IKubernetes client, string ns, string group, string version, string plural, string name, string status) =>
    client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":""" + status + "}", V1Patch.PatchType.MergePatch),
        group, version, ns, plural, name);

// RHACM's part: wait for the view, then replace its status.
static async Task Answer(IKubernetes client, string cluster, string view, string result)
{
    const string g = "view.open-cluster-management.io";
    JsonObject? current = null;
    for (var i = 0; current is null; i++)
    {
        try
        {
            current = JsonNode.Parse(((JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(g, "v1beta1", cluster, "managedclusterviews", view)).GetRawText())!.AsObject();
        }
        catch (k8s.Autorest.HttpOperationException) when (i < 4000)
        {
            await Task.Delay(25);
        }
    }
    current["status"] = JsonNode.Parse("""{"conditions":[{"type":"Processing","status":"True","reason":"r","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}],"result":""" + result + "}");
    await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(current, g, "v1beta1", cluster, "managedclusterviews", view);
}

static async Task Until(IKubernetes client, Func<JsonElement, bool> done, TimeSpan limit)
{
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        var cgu = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("ran.openshift.io", "v1alpha1", "ztp-group", "clustergroupupgrades", "cgu");
        if (done(cgu)) return;
        if (deadline.Elapsed > limit) throw new TimeoutException($"the CGU did not get there in {limit}: {cgu.GetRawText()}");
        await Task.Delay(10);
    }
}

static string? State(JsonElement cgu, string cluster) =>
    cgu.TryGetProperty("status", out var s) && s.TryGetProperty("backup", out var b) && b.TryGetProperty("status", out var m) &&
    m.TryGetProperty(cluster, out var v) ? v.GetString() : null;

static TimeSpan Median(List<TimeSpan> values) => values.Order().ElementAt(values.Count / 2);

static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository");
}
