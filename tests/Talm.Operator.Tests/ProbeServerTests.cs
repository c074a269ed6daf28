using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Operator.Hosting;
using Talm.Operator.Metrics;

namespace Talm.Operator.Tests;

public sealed class ProbeServerTests
{
    [Fact]
    public async Task Serves_health_readiness_and_metrics_on_separate_addresses()
    {
        var metrics = new ControllerMetrics();
        metrics.Reconciled("success", TimeSpan.FromMilliseconds(5));
        var ready = false;
        await using var server = await ProbeServer.StartAsync("127.0.0.1:0", "127.0.0.1:0", () => ready, () => true,
            metrics, MetricsServing.Plain, NullLoggerFactory.Instance, CancellationToken.None);
        using var http = new HttpClient();
        var health = server.HealthUrls.Single();
        var metricsUrl = server.MetricsUrls.Single();
        Assert.NotEqual(health.Port, metricsUrl.Port);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(health, "/healthz"))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(new Uri(health, "/readyz"))).StatusCode);
        ready = true;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(health, "/readyz"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(health, "/metrics"))).StatusCode);

        var response = await http.GetAsync(new Uri(metricsUrl, "/metrics"));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("controller_runtime_reconcile_total{controller=\"clustergroupupgrade\",result=\"success\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_listener_when_both_addresses_are_the_same_and_zero_disables()
    {
        var metrics = new ControllerMetrics();
        var port = LoopbackPort.Free();
        await using var server = await ProbeServer.StartAsync($"127.0.0.1:{port}", $"127.0.0.1:{port}", () => true, () => true,
            metrics, MetricsServing.Plain, NullLoggerFactory.Instance, CancellationToken.None);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/metrics")).StatusCode);

        await using var none = await ProbeServer.StartAsync("0", "", () => true, () => true,
            metrics, MetricsServing.Plain, NullLoggerFactory.Instance, CancellationToken.None);
        Assert.Empty(none.HealthUrls);
        Assert.Empty(none.MetricsUrls);
    }

    [Theory]
    [InlineData(":8080", "0.0.0.0:8080")]
    [InlineData("127.0.0.1:8081", "127.0.0.1:8081")]
    [InlineData("[::1]:9000", "[::1]:9000")]
    public void Parses_controller_runtime_bind_addresses(string bind, string expected) =>
        Assert.Equal(expected, BindAddress.Parse(bind).ToString());

    [Fact]
    public void Rejects_a_bind_address_without_port_naming_the_form()
    {
        var e = Assert.Throws<FormatException>(() => BindAddress.Parse("localhost"));
        Assert.Contains(":8080", e.Message, StringComparison.Ordinal);
    }
}
