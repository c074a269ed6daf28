using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Talm.Conformance.UpdateGraph;

namespace Talm.Conformance.Tests;

/// <summary>
/// The update graph a lab hub reaches through its proxy: CONNECT on loopback, TLS for api.openshift.com with a
/// certificate of the run's CA, the graph from conformance/update-graph.json.
/// </summary>
public sealed class UpdateGraphStandInTests
{
    private const string Graph = "https://api.openshift.com/api/upgrades_info/v1/graph";

    private static readonly UpdateGraphData Data = UpdateGraphData.Load(Path.Combine(AppContext.BaseDirectory, "update-graph.json"));

    /// <summary>A client as the operator is one: through the proxy, checking the certificate, but trusting only <paramref name="root"/>.</summary>
    private static HttpClient Client(Uri proxy, X509Certificate2 root, List<string> seen)
    {
        var handler = new SocketsHttpHandler { Proxy = new WebProxy(proxy), UseProxy = true };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null) return false;
            seen.Add(errors.ToString());
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(root);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            // Only the chain is ours to judge: the name must match as it is.
            return (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && chain.Build(new X509Certificate2(certificate));
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task The_graph_answers_through_the_proxy_with_a_certificate_of_the_run_CA()
    {
        using var ca = RunCertificateAuthority.Create(TimeProvider.System);
        var log = new StringWriter();
        await using var standIn = UpdateGraphStandIn.Start(Data, ca, TimeProvider.System, TextWriter.Synchronized(log));
        var seen = new List<string>();
        using var http = Client(standIn.ProxyUri, ca.Certificate, seen);

        using var response = await GetAsync(http, Graph + "?channel=stable-4.9");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var graph = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var node = Assert.Single(graph["nodes"]!.AsArray());
        Assert.Equal("4.9.8", (string?)node!["version"]);
        Assert.Equal("quay.io/openshift-release-dev/ocp-release@sha256:c91c0faf7ae3c480724a935b3dab7e5f49aae19d195b12f3a4ae38f8440ea96b", (string?)node["payload"]);
        // Without our CA the system's roots do not trust it: the stand-in cannot pass for the real host by accident.
        Assert.Contains(seen, e => e.Contains(nameof(SslPolicyErrors.RemoteCertificateChainErrors), StringComparison.Ordinal));

        // Same tunnel, next request: an unknown channel is an empty graph, no channel a client error.
        using var other = await GetAsync(http, Graph + "?channel=fast-4.99");
        Assert.Empty(JsonNode.Parse(await other.Content.ReadAsStringAsync())!["nodes"]!.AsArray());
        using var none = await GetAsync(http, Graph);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        using var elsewhere = await GetAsync(http, "https://api.openshift.com/api/other");
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);

        Assert.Contains("GET https://api.openshift.com/api/upgrades_info/v1/graph?channel=stable-4.9 -> 200", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_run_CA_is_refused_the_tunnel()
    {
        using var ca = RunCertificateAuthority.Create(TimeProvider.System);
        using var stranger = RunCertificateAuthority.Create(TimeProvider.System);
        await using var standIn = UpdateGraphStandIn.Start(Data, ca, TimeProvider.System, TextWriter.Synchronized(new StringWriter()));
        using var http = Client(standIn.ProxyUri, stranger.Certificate, []);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(http, Graph + "?channel=stable-4.9"));
        Assert.Contains("SSL", e.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Another_host_gets_a_clear_refusal()
    {
        using var ca = RunCertificateAuthority.Create(TimeProvider.System);
        var log = new StringWriter();
        await using var standIn = UpdateGraphStandIn.Start(Data, ca, TimeProvider.System, TextWriter.Synchronized(log));
        using var http = Client(standIn.ProxyUri, ca.Certificate, []);

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(http, "https://updates.example.org/graph?channel=stable-4.9"));
        Assert.Contains("502", e.Message, StringComparison.Ordinal);
        Assert.Contains("refused CONNECT updates.example.org:443: the stand-in answers only for api.openshift.com:443", log.ToString(), StringComparison.Ordinal);

        // A plain-HTTP request through the proxy gets the reason in the body.
        using var plain = await GetAsync(http, "http://api.openshift.com/api/upgrades_info/v1/graph?channel=stable-4.9");
        Assert.Equal(HttpStatusCode.BadGateway, plain.StatusCode);
        Assert.Contains("only CONNECT to api.openshift.com:443 is served", await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_trust_bundle_holds_the_system_roots_and_the_run_CA()
    {
        using var dir = new TempDir();
        using var ca = RunCertificateAuthority.Create(TimeProvider.System);
        using var other = RunCertificateAuthority.Create(TimeProvider.System);
        var system = dir.Write("system.pem", other.Certificate.ExportCertificatePem());
        var bundle = Path.Combine(dir.Path, "bundle.pem");
        ca.WriteTrustBundle(bundle, system);
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(bundle);
        Assert.Equal([other.Certificate.Thumbprint, ca.Certificate.Thumbprint], certificates.Select(c => c.Thumbprint));
    }

    [Fact]
    public void The_repository_graph_names_a_source_for_each_release()
    {
        Assert.Equal("api.openshift.com", Data.Host);
        Assert.Equal(1, Data.VersionCount);
        using var dir = new TempDir();
        var file = dir.Write("graph.json", """{"host":"h","path":"/g","channels":{"c":[{"version":"1","payload":"p"}]}}""");
        var e = Assert.Throws<InvalidDataException>(() => UpdateGraphData.Load(file));
        Assert.Contains("source is required", e.Message, StringComparison.Ordinal);
    }
}
