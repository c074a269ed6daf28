using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Talm.Operator.Metrics;

namespace Talm.Operator.Hosting;

/// <summary>
/// /healthz and /readyz on the health address, /metrics on the metrics address (one listener when
/// both are the same). Readiness comes from the caller (caches synced).
/// </summary>
public sealed class ProbeServer : IAsyncDisposable
{
    private readonly List<WebApplication> _apps;

    private ProbeServer(List<WebApplication> apps, IReadOnlyList<Uri> health, IReadOnlyList<Uri> metrics)
    {
        _apps = apps;
        HealthUrls = health;
        MetricsUrls = metrics;
    }

    public IReadOnlyList<Uri> HealthUrls { get; }
    public IReadOnlyList<Uri> MetricsUrls { get; }

    public static async Task<ProbeServer> StartAsync(string? healthBind, string? metricsBind, Func<bool> ready,
        Func<bool> alive, PrometheusExporter exporter, ILoggerFactory loggerFactory, CancellationToken cancel)
    {
        var apps = new List<WebApplication>();
        var health = new List<Uri>();
        var metrics = new List<Uri>();
        try
        {
            var healthOn = !BindAddress.IsDisabled(healthBind);
            var metricsOn = !BindAddress.IsDisabled(metricsBind);
            var healthEndpoint = healthOn ? BindAddress.Parse(healthBind!) : null;
            var metricsEndpoint = metricsOn ? BindAddress.Parse(metricsBind!) : null;
            // Port 0 asks for a fresh port each time, so two ":0" binds are two listeners.
            if (healthEndpoint is not null && healthEndpoint.Port != 0 && healthEndpoint.Equals(metricsEndpoint))
            {
                var app = await StartOneAsync(healthEndpoint, true, true, ready, alive, exporter, loggerFactory, cancel).ConfigureAwait(false);
                apps.Add(app);
                health.AddRange(Urls(app));
                metrics.AddRange(Urls(app));
            }
            else
            {
                if (healthEndpoint is not null)
                {
                    var app = await StartOneAsync(healthEndpoint, true, false, ready, alive, exporter, loggerFactory, cancel).ConfigureAwait(false);
                    apps.Add(app);
                    health.AddRange(Urls(app));
                }
                if (metricsEndpoint is not null)
                {
                    var app = await StartOneAsync(metricsEndpoint, false, true, ready, alive, exporter, loggerFactory, cancel).ConfigureAwait(false);
                    apps.Add(app);
                    metrics.AddRange(Urls(app));
                }
            }
            return new ProbeServer(apps, health, metrics);
        }
        catch
        {
            foreach (var app in apps) await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<WebApplication> StartOneAsync(IPEndPoint endpoint, bool probes, bool serveMetrics,
        Func<bool> ready, Func<bool> alive, PrometheusExporter exporter, ILoggerFactory loggerFactory, CancellationToken cancel)
    {
        // The empty builder reads no environment variables or files: everything is passed in.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(endpoint));
        var app = builder.Build();
        app.UseRouting();
        if (probes)
        {
            app.MapGet("/healthz", () => alive() ? Results.Text("ok") : Results.Text("not alive", statusCode: 500));
            app.MapGet("/readyz", () => ready() ? Results.Text("ok") : Results.Text("caches not synced", statusCode: 503));
        }
        if (serveMetrics)
            app.MapGet("/metrics", () => Results.Text(exporter.Render(), PrometheusExporter.ContentType));
        await app.StartAsync(cancel).ConfigureAwait(false);
        return app;
    }

    private static IEnumerable<Uri> Urls(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a));

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
