using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Talm.Operator.Metrics;

namespace Talm.Operator.Hosting;

/// <summary>
/// /healthz and /readyz on the health address (plain HTTP, for the kubelet), /metrics on the metrics
/// address: over HTTPS with the serving certificate and behind the TokenReview and
/// SubjectAccessReview filter when <see cref="MetricsServing"/> says so, else plain HTTP. One
/// listener when both addresses are the same (plain HTTP only). Readiness comes from the caller
/// (caches synced).
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
        Func<bool> alive, ControllerMetrics metrics, MetricsServing serving, ILoggerFactory loggerFactory, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(serving);
        var apps = new List<WebApplication>();
        var health = new List<Uri>();
        var metricsUrls = new List<Uri>();
        try
        {
            var healthOn = !BindAddress.IsDisabled(healthBind);
            var metricsOn = !BindAddress.IsDisabled(metricsBind);
            var healthEndpoint = healthOn ? BindAddress.Parse(healthBind!) : null;
            var metricsEndpoint = metricsOn ? BindAddress.Parse(metricsBind!) : null;
            // Port 0 asks for a fresh port each time, so two ":0" binds are two listeners.
            if (healthEndpoint is not null && healthEndpoint.Port != 0 && healthEndpoint.Equals(metricsEndpoint))
            {
                if (serving.Secure)
                    throw new ArgumentException($"the health address {healthBind} is the metrics address: probes are plain HTTP, metrics HTTPS; give them different ports");
                var app = await StartOneAsync(healthEndpoint, true, true, ready, alive, metrics, serving, loggerFactory, cancel).ConfigureAwait(false);
                apps.Add(app);
                health.AddRange(Urls(app));
                metricsUrls.AddRange(Urls(app));
            }
            else
            {
                if (healthEndpoint is not null)
                {
                    var app = await StartOneAsync(healthEndpoint, true, false, ready, alive, metrics, serving, loggerFactory, cancel).ConfigureAwait(false);
                    apps.Add(app);
                    health.AddRange(Urls(app));
                }
                if (metricsEndpoint is not null)
                {
                    var app = await StartOneAsync(metricsEndpoint, false, true, ready, alive, metrics, serving, loggerFactory, cancel).ConfigureAwait(false);
                    apps.Add(app);
                    metricsUrls.AddRange(Urls(app));
                }
            }
            return new ProbeServer(apps, health, metricsUrls);
        }
        catch
        {
            foreach (var app in apps) await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<WebApplication> StartOneAsync(IPEndPoint endpoint, bool probes, bool serveMetrics,
        Func<bool> ready, Func<bool> alive, ControllerMetrics metrics, MetricsServing serving, ILoggerFactory loggerFactory, CancellationToken cancel)
    {
        var secure = serveMetrics && serving.Certificate is not null;
        // The empty builder reads no environment variables or files: everything is passed in.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, Talm.Hosting.EmbeddedLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(endpoint, l =>
            {
                if (!secure) return;
                var certificate = serving.Certificate!;
                l.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = (_, _) => certificate.Current,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                });
            });
        });
        var app = builder.Build();
        app.UseRouting();
        if (probes)
        {
            app.MapGet("/healthz", () => alive() ? Results.Text("ok") : Results.Text("not alive", statusCode: 500));
            app.MapGet("/readyz", () => ready() ? Results.Text("ok") : Results.Text("caches not synced", statusCode: 503));
        }
        if (serveMetrics)
        {
            app.MapGet("/metrics", async (HttpContext http) =>
            {
                if (serving.Auth is { } auth)
                {
                    var decision = await auth.CheckAsync(http.Request.Headers.Authorization, "get", http.Request.Path.Value ?? "/metrics",
                        http.RequestAborted).ConfigureAwait(false);
                    if (!decision.Allowed)
                    {
                        if (decision.Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
                        return Results.Text(decision.Message + "\n", statusCode: decision.Status);
                    }
                }
                return Results.Text(await metrics.RenderAsync(http.RequestAborted).ConfigureAwait(false), ControllerMetrics.ContentType);
            });
        }

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
