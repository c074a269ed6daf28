using System.Net;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Talm.KubeApi.Metrics;
using Talm.KubeApi.Tests.Support;

namespace Talm.KubeApi.Tests;

/// <summary>The server counts every request by client (User-Agent), verb, resource, scope and code, in-process and on /metrics.</summary>
public sealed partial class RequestMetricsTests
{
    private const string Scripted = "scripted-test/1.0";

    [Fact]
    public async Task A_scripted_sequence_is_counted_exactly_by_verb_resource_scope_and_code()
    {
        await using var server = await Lab.StartWithCguAsync();
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath), new FixedUserAgent(Scripted));
        using var cgus = Lab.Cgus(client);

        var a = await cgus.CreateNamespacedAsync(Lab.NewCgu("a", "sno1"), "default");
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => cgus.CreateNamespacedAsync(Lab.NewCgu("a"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        await cgus.ReadNamespacedAsync<ClusterGroupUpgrade>("default", "a");
        await Assert.ThrowsAsync<HttpOperationException>(() => cgus.ReadNamespacedAsync<ClusterGroupUpgrade>("default", "nope"));
        await cgus.ListNamespacedAsync<CguList>("default");
        await client.CustomObjects.ListClusterCustomObjectAsync(Lab.Group, Lab.Version, Lab.Plural);
        var patched = await cgus.PatchNamespacedAsync<ClusterGroupUpgrade>(new V1Patch("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", V1Patch.PatchType.MergePatch), "default", "a");
        patched.Status = new CguStatus { Conditions = [] };
        await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<ClusterGroupUpgrade>(patched, Lab.Group, Lab.Version, "default", Lab.Plural, "a");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Lab.NewCgu("dry"), Lab.Group, Lab.Version, "default", Lab.Plural, dryRun: "All");
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "extra" } });
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c1" } }, "extra");
        await client.CoreV1.DeleteCollectionNamespacedConfigMapAsync("extra");
        await cgus.DeleteNamespacedAsync<ClusterGroupUpgrade>("default", a.Metadata.Name);

        // A watch is counted once, as soon as its response begins, though it is still open.
        using var raw = new HttpClient { BaseAddress = server.Url };
        raw.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", Scripted);
        using var watch = await raw.GetAsync(new Uri("/apis/ran.openshift.io/v1alpha1/namespaces/default/clustergroupupgrades?watch=true", UriKind.Relative),
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);

        const string G = "ran.openshift.io", V = "v1alpha1", R = "clustergroupupgrades";
        var expected = new Dictionary<RequestKey, long>
        {
            [new("CREATE", "", G, V, R, "", "namespace", Scripted, 201)] = 1,
            [new("CREATE", "", G, V, R, "", "namespace", Scripted, 409)] = 1,
            [new("GET", "", G, V, R, "", "resource", Scripted, 200)] = 1,
            [new("GET", "", G, V, R, "", "resource", Scripted, 404)] = 1,
            [new("LIST", "", G, V, R, "", "namespace", Scripted, 200)] = 1,
            [new("LIST", "", G, V, R, "", "cluster", Scripted, 200)] = 1,
            [new("PATCH", "", G, V, R, "", "resource", Scripted, 200)] = 1,
            [new("UPDATE", "", G, V, R, "status", "resource", Scripted, 200)] = 1,
            [new("CREATE", "All", G, V, R, "", "namespace", Scripted, 201)] = 1,
            [new("CREATE", "", "", "v1", "namespaces", "", "cluster", Scripted, 201)] = 1,
            [new("CREATE", "", "", "v1", "configmaps", "", "namespace", Scripted, 201)] = 1,
            [new("DELETECOLLECTION", "", "", "v1", "configmaps", "", "namespace", Scripted, 200)] = 1,
            [new("DELETE", "", G, V, R, "", "resource", Scripted, 200)] = 1,
            [new("WATCH", "", G, V, R, "", "namespace", Scripted, 200)] = 1,
        };
        var seen = server.Requests.Snapshot().Where(e => e.Key.Client == Scripted).ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal(expected.OrderBy(e => e.Key.ToString()), seen.OrderBy(e => e.Key.ToString()));
        Assert.Equal(9, server.Requests.Count(k => k.Client == Scripted && k.IsWrite));
        Assert.Equal(2, server.Requests.Count(k => k.Client == Scripted && k.IsDelete));

        // Stock kubectl is another client: counted under its own User-Agent, the scripted one's counts unchanged.
        using var kubectl = new Kubectl(server.KubeconfigPath);
        await kubectl.OkAsync("get", "clustergroupupgrades", "-A");
        Assert.True(server.Requests.Count(k => k.Client.StartsWith("kubectl/", StringComparison.Ordinal) && k.Verb == "LIST"
            && k.Resource == R && k.Scope == "cluster" && k.Code == 200) == 1, server.Requests.Render());
        Assert.Equal(expected.Values.Sum(), server.Requests.Count(k => k.Client == Scripted));
    }

    [Fact]
    public async Task Metrics_endpoint_serves_the_counters_in_the_prometheus_text_format()
    {
        await using var server = await Lab.StartWithCguAsync();
        const string odd = "odd \"agent\" \\ 1";
        using var raw = new HttpClient { BaseAddress = server.Url };
        raw.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", odd);
        using (var missing = await raw.GetAsync(new Uri("/apis/ran.openshift.io/v1alpha1/namespaces/default/clustergroupupgrades/nope", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await raw.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        using var scrape = await raw.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.StartsWith("text/plain; version=0.0.4", scrape.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var lines = (await scrape.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("# TYPE apiserver_request_total counter", lines[1]);
        Assert.StartsWith("# HELP apiserver_request_total ", lines[0], StringComparison.Ordinal);
        var samples = lines.Skip(2).Select(Parse).ToList();
        string[] names = ["client", "code", "component", "dry_run", "group", "resource", "scope", "subresource", "verb", "version"];
        Assert.All(samples, s => Assert.Equal(names, s.Labels.Keys.Order(StringComparer.Ordinal)));
        Assert.All(samples, s => Assert.Equal("apiserver", s.Labels["component"]));

        var mine = samples.Where(s => s.Labels["client"] == odd).ToList();
        var get = Assert.Single(mine, s => s.Labels["verb"] == "GET" && s.Labels["resource"] == "clustergroupupgrades");
        Assert.Equal(("404", "resource", "ran.openshift.io", "v1alpha1", 1L), (get.Labels["code"], get.Labels["scope"], get.Labels["group"], get.Labels["version"], get.Value));
        // The first scrape is counted once it has been answered; the second is the one being answered.
        var scrapes = Assert.Single(mine, s => s.Labels["verb"] == "GET" && s.Labels["resource"] == "");
        Assert.Equal(("200", 1L), (scrapes.Labels["code"], scrapes.Value));
        Assert.Equal(2, mine.Count);
    }

    private static (Dictionary<string, string> Labels, long Value) Parse(string line)
    {
        var m = SampleLine().Match(line);
        Assert.True(m.Success, $"not a sample line: {line}");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match l in LabelPair().Matches(m.Groups["labels"].Value))
            labels.Add(l.Groups[1].Value, Regex.Replace(l.Groups[2].Value, @"\\(.)", x => x.Groups[1].Value == "n" ? "\n" : x.Groups[1].Value));
        // Every character between the braces belongs to some label pair.
        Assert.Equal(m.Groups["labels"].Value.Length, LabelPair().Matches(m.Groups["labels"].Value).Sum(x => x.Length) + labels.Count - 1);
        return (labels, long.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("""^apiserver_request_total\{(?<labels>.*)\} (?<value>[0-9]+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-z_]+)="((?:[^"\\]|\\.)*)"(?=,|$)""")]
    private static partial Regex LabelPair();

    private sealed class FixedUserAgent(string value) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.UserAgent.Clear();
            request.Headers.TryAddWithoutValidation("User-Agent", value);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
