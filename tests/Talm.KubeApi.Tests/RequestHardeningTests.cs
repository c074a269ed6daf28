using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Talm.KubeApi.Tests;

/// <summary>
/// What the lab server refuses: bodies over the real API server's limit, bodies a web page could send
/// (text/plain, forms, no type), requests naming a host other than loopback (DNS rebinding) or coming
/// from a web page's origin, ConfigMap and Secret data the real server cannot decode, invalid names.
/// </summary>
public sealed class RequestHardeningTests : IAsyncLifetime
{
    private KubeApiServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        _http = new HttpClient { BaseAddress = _server.Url };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static StringContent Json(string body, string type = "application/json") => new(body, Encoding.UTF8, MediaTypeHeaderValue.Parse(type));

    private static async Task<JsonObject> StatusOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    private static string ConfigMap(string name, string data) =>
        $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{name}}"},"data":{{data}}}""";

    [Fact]
    public async Task A_body_over_3_MiB_is_413_before_it_is_read_whether_announced_or_streamed()
    {
        // 50 MB announced in Content-Length: answered at once, without reading the body.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(_server.Url.Host, _server.Url.Port);
            var stream = tcp.GetStream();
            var head = $"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: {_server.Url.Authority}\r\n" +
                       "Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(new byte[64 * 1024]);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("HTTP/1.1 413", statusLine, StringComparison.Ordinal);
        }

        // Chunked (no length announced): refused once 3 MiB have arrived.
        var big = new string('x', 3 * 1024 * 1024 + 10);
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(ConfigMap("big", $$"""{"a":"{{big}}"}"""))));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var status = await StatusOf(response);
        Assert.Equal("RequestEntityTooLarge", (string?)status["reason"]);
        Assert.Equal("Request entity too large: limit is 3145728", (string?)status["message"]);
        Assert.Null(_server.Service.Store.Get("/configmaps", "default", "big"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/cbor")]
    public async Task Bodies_in_types_a_web_page_can_send_are_415_and_nothing_is_stored(string type)
    {
        using var response = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("csrf", """{"a":"b"}"""), type));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var status = await StatusOf(response);
        Assert.Equal("UnsupportedMediaType", (string?)status["reason"]);
        Assert.Contains("application/json, application/yaml, application/vnd.kubernetes.protobuf", (string?)status["message"], StringComparison.Ordinal);
        Assert.Null(_server.Service.Store.Get("/configmaps", "default", "csrf"));
    }

    [Fact]
    public async Task A_body_without_a_content_type_is_415_and_a_patch_in_a_non_patch_type_too()
    {
        using var bare = new ByteArrayContent(Encoding.UTF8.GetBytes(ConfigMap("untyped", """{"a":"b"}""")));
        using (var response = await _http.PostAsync("/api/v1/namespaces/default/configmaps", bare))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);

        using (var created = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("typed", """{"a":"b"}"""))))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var patch = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/typed") { Content = Json("""{"data":{"a":"c"}}""", "text/plain") };
        using var patched = await _http.SendAsync(patch);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, patched.StatusCode);
        Assert.Contains("application/merge-patch+json", (string?)(await StatusOf(patched))["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:6443")]
    [InlineData("10.0.0.1")]
    [InlineData("localhost.evil.example")]
    public async Task A_host_name_other_than_loopback_is_refused_so_dns_rebinding_cannot_reach_the_server(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps") { Content = Json(ConfigMap("rebound", """{"a":"b"}""")) };
        request.Headers.Host = host;
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("loopback", (string?)(await StatusOf(response))["message"], StringComparison.Ordinal);
        Assert.Null(_server.Service.Store.Get("/configmaps", "default", "rebound"));

        using var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces");
        read.Headers.Host = host;
        using var readResponse = await _http.SendAsync(read);
        Assert.Equal(HttpStatusCode.Forbidden, readResponse.StatusCode);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2:80")]
    [InlineData("[::1]:6443")]
    [InlineData("LOCALHOST:1")]
    public async Task Loopback_host_names_are_served(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces");
        request.Headers.Host = host;
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_request_from_a_web_pages_origin_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps") { Content = Json(ConfigMap("cors", """{"a":"b"}""")) };
        request.Headers.Add("Origin", "https://evil.example");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(_server.Service.Store.Get("/configmaps", "default", "cors"));

        using var local = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps") { Content = Json(ConfigMap("local", """{"a":"b"}""")) };
        local.Headers.Add("Origin", "http://localhost:8001");
        using var localResponse = await _http.SendAsync(local);
        Assert.Equal(HttpStatusCode.Created, localResponse.StatusCode);
    }

    [Theory]
    [InlineData("""{"a":1}""", "json: cannot unmarshal number into Go struct field ConfigMap.data of type string")]
    [InlineData("""{"a":{"b":"c"}}""", "json: cannot unmarshal object into Go struct field ConfigMap.data of type string")]
    [InlineData("""{"a":true}""", "json: cannot unmarshal bool into Go struct field ConfigMap.data of type string")]
    [InlineData("""["a"]""", "json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string")]
    public async Task Configmap_data_must_be_strings(string data, string error)
    {
        using var response = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("typed", data)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: {error}", (string?)(await StatusOf(response))["message"]);
        Assert.Null(_server.Service.Store.Get("/configmaps", "default", "typed"));
    }

    [Fact]
    public async Task Binary_data_and_secret_data_must_be_base64_and_keys_valid()
    {
        var binary = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bin"},"binaryData":{"b":"no!base64"}}""";
        using (var response = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(binary)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: illegal base64 data at input byte 2",
                (string?)(await StatusOf(response))["message"]);
        }
        var secret = """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"p":"czNjcmV0="}}""";
        using (var response = await _http.PostAsync("/api/v1/namespaces/default/secrets", Json(secret)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte",
                (string?)(await StatusOf(response))["message"], StringComparison.Ordinal);
        }
        using (var response = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("keys", """{"bad key":"v"}"""))))
        {
            Assert.Equal((HttpStatusCode)422, response.StatusCode);
            Assert.StartsWith("ConfigMap \"keys\" is invalid: data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                (string?)(await StatusOf(response))["message"], StringComparison.Ordinal);
        }
        using (var response = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("dots", """{"..":"v"}"""))))
            Assert.Equal((HttpStatusCode)422, response.StatusCode);

        // A patch cannot sneak a number in either.
        using (var created = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("ok", """{"a":"b","n":null}"""))))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("", (string?)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["n"]);
        }
        using var patch = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/ok")
        {
            Content = Json("""{"data":{"a":7}}""", "application/merge-patch+json"),
        };
        using var patched = await _http.SendAsync(patch);
        Assert.Equal(HttpStatusCode.BadRequest, patched.StatusCode);
        Assert.Equal("b", (string?)_server.Service.Store.Get("/configmaps", "default", "ok")!.Node["data"]!["a"]);
    }

    [Theory]
    [InlineData("Bad_Name")]
    [InlineData("a.b")]
    [InlineData("UPPER")]
    [InlineData("-lead")]
    public async Task Namespace_names_are_dns_1123_labels(string name)
    {
        using var response = await _http.PostAsync("/api/v1/namespaces", Json($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}"""));
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Equal(
            $"Namespace \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " +
            "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            (string?)(await StatusOf(response))["message"]);
        Assert.Null(_server.Service.Store.Get("/namespaces", "", name));
    }

    [Fact]
    public async Task Namespace_names_are_at_most_63_characters_and_other_names_follow_the_subdomain_rule()
    {
        var long64 = new string('n', 64);
        using (var response = await _http.PostAsync("/api/v1/namespaces", Json($$$"""{"metadata":{"name":"{{{long64}}}"}}""")))
        {
            Assert.Equal((HttpStatusCode)422, response.StatusCode);
            Assert.Contains("must be no more than 63 characters", (string?)(await StatusOf(response))["message"], StringComparison.Ordinal);
        }
        using (var ok = await _http.PostAsync("/api/v1/namespaces", Json($$$"""{"metadata":{"name":"{{{long64[..63]}}}"}}""")))
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        using (var dotted = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("a.b", """{"k":"v"}"""))))
            Assert.Equal(HttpStatusCode.Created, dotted.StatusCode);
        using var bad = await _http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("A_B", """{"k":"v"}""")));
        Assert.Equal((HttpStatusCode)422, bad.StatusCode);
        Assert.EndsWith("(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            (string?)(await StatusOf(bad))["message"], StringComparison.Ordinal);
    }
}
