using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.KubeApi.Http;
using Talm.KubeApi.Json;
using Talm.KubeApi.Metrics;
using Talm.KubeApi.Storage;

namespace Talm.KubeApi;

/// <summary>
/// The embedded Kubernetes-compatible API server for the lab and tests:
/// <c>await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());</c>
/// then point kubectl or KubernetesClient at <see cref="KubeconfigPath"/> (or <see cref="Url"/>).
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly string? _tempDir;

    private KubeApiServer(WebApplication app, ObjectStore store, ObjectService service, RequestMetrics requests, Uri url, string kubeconfigPath, string? tempDir)
    {
        _app = app;
        Requests = requests;
        _store = store;
        Service = service;
        Url = url;
        KubeconfigPath = kubeconfigPath;
        _tempDir = tempDir;
    }

    public Uri Url { get; }
    public string KubeconfigPath { get; }

    /// <summary>Direct access to object semantics (bypassing HTTP), e.g. for seeding tests.</summary>
    public ObjectService Service { get; }

    /// <summary>Every request answered, by client (User-Agent), verb, resource and code; also served on /metrics.</summary>
    public RequestMetrics Requests { get; }

    public static async Task<KubeApiServer> StartAsync(KubeApiServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        // No authentication, plain HTTP: never reachable from another machine (see docs/lab.md, Security).
        if (!System.Net.IPAddress.IsLoopback(options.Address))
            throw new ArgumentException($"the lab API server listens only on a loopback address, not {options.Address}", nameof(options));
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var store = new ObjectStore(options.WatchWindow, options.DataDirectory, options.SnapshotAfterRecords,
            firstResourceVersion: options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds() * 1000);
        try
        {
            if (store.TornTailBytes > 0)
            {
                loggerFactory.CreateLogger("Talm.KubeApi").LogWarning(
                    "Left out a torn last record ({Bytes} bytes) of the write-ahead log in {Directory}: a crash cut its write short, so it was never acknowledged",
                    store.TornTailBytes, options.DataDirectory);
            }
            var service = new ObjectService(store, new Resources.ResourceRegistry(), options.TimeProvider);
            service.RegisterStoredCrds();
            service.EnsureSystemNamespaces();
            foreach (var file in options.ManifestFiles) ApplyManifestFile(service, file);
            var requests = new RequestMetrics();
            var reviews = new Auth.Reviews(new Auth.StaticTokens(options.TokenAuthFile), new Auth.RbacAuthorizer(store));
            var handler = new ApiHandler(service, options.TimeProvider, options.BookmarkInterval, loggerFactory.CreateLogger("Talm.KubeApi"), requests, reviews);

            // The empty builder reads no environment variables or appsettings files: the embedder decides everything.
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.WebHost.UseKestrelCore();
            builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, Talm.Hosting.EmbeddedLifetime>();
            builder.Services.Configure<KestrelServerOptions>(k =>
            {
                k.Listen(options.Address, options.Port, l => l.Protocols = HttpProtocols.Http1AndHttp2);
                k.Limits.MaxRequestBodySize = RequestGuard.MaxBodyBytes + 1;
                k.AddServerHeader = false;
            });
            var app = builder.Build();
            app.Run(handler.HandleAsync);
            await app.StartAsync(ct);
            var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var url = new Uri(address.Replace("[::]", "[::1]", StringComparison.Ordinal));
            handler.SetServerAddress($"{url.Host}:{url.Port}");
            string? tempDir = null;
            var kubeconfig = options.KubeconfigPath;
            if (kubeconfig is null)
            {
                tempDir = Directory.CreateTempSubdirectory("talm-kubeapi-").FullName;
                kubeconfig = Path.Combine(tempDir, "kubeconfig");
            }
            Kubeconfig.Write(kubeconfig, url);
            return new KubeApiServer(app, store, service, requests, url, kubeconfig, tempDir);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Creates each object of a YAML file that does not exist yet (CRDs first so their kinds resolve).</summary>
    public static void ApplyManifestFile(ObjectService service, string file)
    {
        ArgumentNullException.ThrowIfNull(service);
        var docs = YamlBody.ParseAll(File.ReadAllText(file)).OfType<JsonObject>()
            .OrderBy(d => JsonUtil.Str(d, "kind") == "CustomResourceDefinition" ? 0 : 1).ToList();
        foreach (var doc in docs)
        {
            var apiVersion = JsonUtil.Str(doc, "apiVersion") ?? throw new InvalidDataException($"{file}: a document has no apiVersion");
            var kind = JsonUtil.Str(doc, "kind") ?? throw new InvalidDataException($"{file}: a document has no kind");
            var slash = apiVersion.LastIndexOf('/');
            var (group, version) = slash < 0 ? (string.Empty, apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
            var type = service.Registry.All.FirstOrDefault(t => t.Group == group && t.Kind == kind && t.Version(version) is not null)
                ?? throw new InvalidDataException($"{file}: kind {kind} in {apiVersion} is not served; load its CRD first");
            var name = JsonUtil.MetaStr(doc, "name") ?? throw new InvalidDataException($"{file}: a {kind} has no metadata.name");
            var ns = type.Namespaced ? JsonUtil.MetaStr(doc, "namespace") ?? "default" : null;
            if (service.Store.Get(type.StoreKey, ns ?? string.Empty, name) is null)
            {
                service.Create(type, version, ns, doc).Durable.GetAwaiter().GetResult();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Close watches first so streaming responses end and Kestrel can stop promptly.
        _store.CloseWatches();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }
        await _app.DisposeAsync();
        _store.Dispose();
        if (_tempDir is not null)
        {
            try
            {
                Directory.Delete(_tempDir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover temp kubeconfig is harmless.
            }
        }
    }
}
