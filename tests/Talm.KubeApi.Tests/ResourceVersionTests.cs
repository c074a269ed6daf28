using System.Net;
using System.Text.Json.Nodes;

namespace Talm.KubeApi.Tests;

/// <summary>Reads and watches from a resourceVersion the server has not reached get the real server's 504 "Too large resource version".</summary>
public sealed class ResourceVersionTests
{
    private static void AssertTooLarge(JsonNode status, long requested)
    {
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal(504, (int?)status["code"]);
        Assert.Equal("Timeout", (string?)status["reason"]);
        Assert.StartsWith($"Timeout: Too large resource version: {requested}, current: ", (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal("ResourceVersionTooLarge", (string?)status["details"]!["causes"]![0]!["reason"]);
        Assert.Equal("Too large resource version", (string?)status["details"]!["causes"]![0]!["message"]);
        Assert.Equal(1, (int?)status["details"]!["retryAfterSeconds"]);
    }

    [Fact]
    public async Task A_watch_from_a_version_not_reached_gets_one_error_event_with_the_504_status_at_once()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        using var http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(10) };
        var future = server.Service.Store.CurrentResourceVersion + 1000;
        using var response = await http.GetAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={future}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var single = Assert.Single(lines);
        var evt = JsonNode.Parse(single)!;
        Assert.Equal("ERROR", (string?)evt["type"]);
        AssertTooLarge(evt["object"]!, future);

        // The version reached: the watch is served as usual.
        var now = server.Service.Store.CurrentResourceVersion;
        using var ok = await http.GetAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={now}&timeoutSeconds=1");
        Assert.DoesNotContain("ERROR", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_list_or_get_at_a_version_not_reached_is_504()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        using var http = new HttpClient { BaseAddress = server.Url };
        var future = server.Service.Store.CurrentResourceVersion + 5;
        using var list = await http.GetAsync($"/api/v1/namespaces?resourceVersion={future}");
        Assert.Equal(HttpStatusCode.GatewayTimeout, list.StatusCode);
        AssertTooLarge(JsonNode.Parse(await list.Content.ReadAsStringAsync())!, future);
        using var get = await http.GetAsync($"/api/v1/namespaces/default?resourceVersion={future}");
        Assert.Equal(HttpStatusCode.GatewayTimeout, get.StatusCode);
        using var any = await http.GetAsync("/api/v1/namespaces?resourceVersion=0");
        Assert.Equal(HttpStatusCode.OK, any.StatusCode);
    }

    [Fact]
    public async Task Only_a_loopback_address_can_be_listened_on()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => KubeApiServer.StartAsync(new KubeApiServerOptions { Address = IPAddress.Any }));
        Assert.Contains("loopback", e.Message, StringComparison.Ordinal);
    }
}
