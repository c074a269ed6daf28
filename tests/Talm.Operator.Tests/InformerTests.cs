using System.Collections.Concurrent;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Api.Meta;
using Talm.KubeApi;
using Talm.Operator.Kube;

namespace Talm.Operator.Tests;

public sealed class InformerTests : IAsyncLifetime
{
    private static readonly WatchedKind Widget = new(new KindInfo("test.talm.io", "v1", "Widget", "widgets", true));
    private static readonly WatchedKind Gadget = new(new KindInfo("test.talm.io", "v1", "Gadget", "gadgets", false));
    private static string CrdFile => Path.Combine(AppContext.BaseDirectory, "TestData", "test-kinds-crd.yaml");

    private readonly string _dataDir = Directory.CreateTempSubdirectory("talm-informer-").FullName;
    private readonly int _port = LoopbackPort.Free();
    private KubeApiServer? _server;
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync() => _server = await StartServerAsync(TimeSpan.FromSeconds(10));

    private Task<KubeApiServer> StartServerAsync(TimeSpan bookmarks, int? port = null, bool keepData = true) =>
        KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            Port = port ?? _port,
            DataDirectory = keepData ? Path.Combine(_dataDir, "data") : null,
            ManifestFiles = [CrdFile],
            BookmarkInterval = bookmarks,
            KubeconfigPath = Path.Combine(_dataDir, "kubeconfig"),
        });

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_server is not null) await _server.DisposeAsync();
        _stop.Dispose();
        Directory.Delete(_dataDir, recursive: true);
    }

    private IKubernetes Client() =>
        new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server!.KubeconfigPath));

    private static Dictionary<string, object> Widget_(string ns, string name, string color) => new()
    {
        ["apiVersion"] = "test.talm.io/v1",
        ["kind"] = "Widget",
        ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new Dictionary<string, object> { ["color"] = color },
    };

    private static string Color(KubeObject? o) => o?.Json.GetProperty("spec").GetProperty("color").GetString() ?? "<none>";

    [Fact]
    public async Task Lists_then_watches_keeping_the_cache_and_raising_events()
    {
        using var client = Client();
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", "before", "red"), "test.talm.io", "v1", "default", "widgets");
        await client.CustomObjects.CreateClusterCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "test.talm.io/v1", ["kind"] = "Gadget", ["metadata"] = new Dictionary<string, object> { ["name"] = "g1" },
        }, "test.talm.io", "v1", "gadgets");

        var widgets = new Informer(client, Widget, NullLogger.Instance, new InformerOptions { PageSize = 1 });
        var gadgets = new Informer(client, Gadget, NullLogger.Instance);
        var seen = new ConcurrentQueue<string>();
        widgets.AddHandler(e => seen.Enqueue($"{e.Type}:{e.Object.Key}:{Color(e.New ?? e.Old)}"));
        var runs = new[] { widgets.RunAsync(_stop.Token), gadgets.RunAsync(_stop.Token) };
        await Task.WhenAll(widgets.Synced, gadgets.Synced).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("red", Color(widgets.Cache.Get("default", "before")));
        Assert.NotNull(gadgets.Cache.Get(null, "g1"));

        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", "after", "blue"), "test.talm.io", "v1", "default", "widgets");
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"color":"green"}}""", V1Patch.PatchType.MergePatch),
            "test.talm.io", "v1", "default", "widgets", "before");
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync("test.talm.io", "v1", "default", "widgets", "after");

        await Eventually.TrueAsync(() => seen.Count >= 4, "four widget events");
        Assert.Equal(["Added:default/before:red", "Added:default/after:blue", "Modified:default/before:green", "Deleted:default/after:blue"], seen.ToArray());
        Assert.Null(widgets.Cache.Get("default", "after"));
        Assert.Equal(1, widgets.Cache.Count);
        Assert.Equal(1, widgets.Lists);
        Assert.Single(widgets.Cache.InNamespace("default"));
    }

    [Fact]
    public async Task After_the_server_restarts_a_resumed_watch_gets_410_and_the_informer_relists()
    {
        using var client = Client();
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", "stays", "red"), "test.talm.io", "v1", "default", "widgets");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", "goes", "red"), "test.talm.io", "v1", "default", "widgets");
        var informer = new Informer(client, Widget, NullLogger.Instance,
            new InformerOptions { RetryMin = TimeSpan.FromMilliseconds(50), RetryMax = TimeSpan.FromMilliseconds(200) });
        var deleted = new ConcurrentQueue<string>();
        informer.AddHandler(e => { if (e.Type == WatchEventType.Deleted) deleted.Enqueue(e.Object.Key); });
        var run = informer.RunAsync(_stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));

        // While the informer cannot reach it, the server's state changes (served elsewhere for a
        // moment); then it comes back on the informer's address with its watch history gone.
        await _server!.DisposeAsync();
        _server = await StartServerAsync(TimeSpan.FromSeconds(10), LoopbackPort.Free());
        using (var admin = Client())
        {
            await admin.CustomObjects.DeleteNamespacedCustomObjectAsync("test.talm.io", "v1", "default", "widgets", "goes");
            await admin.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"color":"green"}}""", V1Patch.PatchType.MergePatch),
                "test.talm.io", "v1", "default", "widgets", "stays");
        }
        await _server.DisposeAsync();
        _server = await StartServerAsync(TimeSpan.FromSeconds(10));

        await Eventually.TrueAsync(() => Color(informer.Cache.Get("default", "stays")) == "green" && informer.Cache.Get("default", "goes") is null,
            "the cache to catch up after the restart");
        Assert.Equal(["default/goes"], deleted.ToArray());
        Assert.Equal(2, informer.Lists); // the resumed watch was refused with 410 Gone, so it listed again
    }

    [Fact]
    public async Task After_a_restart_from_an_older_copy_of_its_data_the_server_has_not_reached_the_informers_version_and_the_informer_relists()
    {
        using var client = Client();
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", "kept", "red"), "test.talm.io", "v1", "default", "widgets");
        var data = Path.Combine(_dataDir, "data");
        var copy = Path.Combine(_dataDir, "copy");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(data)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        for (var i = 0; i < 10; i++)
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", $"later-{i}", "red"), "test.talm.io", "v1", "default", "widgets");
        var informer = new Informer(client, Widget, NullLogger.Instance,
            new InformerOptions { RetryMin = TimeSpan.FromMilliseconds(50), RetryMax = TimeSpan.FromMilliseconds(200) });
        var run = informer.RunAsync(_stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        var before = long.Parse(informer.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);

        // Same address, its data put back from the earlier copy: its versions are below the informer's.
        await _server!.DisposeAsync();
        Directory.Delete(data, recursive: true);
        Directory.Move(copy, data);
        _server = await StartServerAsync(TimeSpan.FromSeconds(10));
        Assert.True(_server.Service.Store.CurrentResourceVersion < before);

        await Eventually.TrueAsync(() => informer.Cache.Get("default", "kept") is not null && informer.Cache.Count == 1,
            "the informer to relist and see the restored state");
        Assert.Equal(2, informer.Lists);
        // And it keeps following changes from there.
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"color":"green"}}""", V1Patch.PatchType.MergePatch),
            "test.talm.io", "v1", "default", "widgets", "kept");
        await Eventually.TrueAsync(() => Color(informer.Cache.Get("default", "kept")) == "green", "the change after the relist");
    }

    [Fact]
    public async Task After_a_restart_without_data_the_new_versions_are_all_newer_and_a_resumed_watch_gets_410_and_relists()
    {
        await _server!.DisposeAsync();
        _server = await StartServerAsync(TimeSpan.FromSeconds(10), keepData: false);
        using var client = Client();
        for (var i = 0; i < 10; i++)
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", $"old-{i}", "red"), "test.talm.io", "v1", "default", "widgets");
        var informer = new Informer(client, Widget, NullLogger.Instance,
            new InformerOptions { RetryMin = TimeSpan.FromMilliseconds(50), RetryMax = TimeSpan.FromMilliseconds(200) });
        var run = informer.RunAsync(_stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        var before = long.Parse(informer.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);

        await _server.DisposeAsync();
        _server = await StartServerAsync(TimeSpan.FromSeconds(10), keepData: false);
        // Writes that would have reused the informer's versions had the new run counted from 1 again.
        for (var i = 0; i < 30; i++)
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", $"new-{i}", "blue"), "test.talm.io", "v1", "default", "widgets");
        Assert.True(_server.Service.Store.CurrentResourceVersion > before);

        await Eventually.TrueAsync(() => informer.Cache.Count == 30 && informer.Cache.Get("default", "old-0") is null,
            "the informer to relist and see only the new run's objects");
        Assert.Equal(2, informer.Lists);
    }

    [Fact]
    public async Task Bookmarks_advance_the_resume_point_without_breaking_the_watch()
    {
        await _server!.DisposeAsync();
        _server = await StartServerAsync(TimeSpan.FromMilliseconds(100));
        using var client = Client();
        var informer = new Informer(client, Widget, NullLogger.Instance);
        var run = informer.RunAsync(_stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        // Something changes in another kind: the store's version moves on, and bookmarks carry it.
        await client.CustomObjects.CreateClusterCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "test.talm.io/v1", ["kind"] = "Gadget", ["metadata"] = new Dictionary<string, object> { ["name"] = "g" },
        }, "test.talm.io", "v1", "gadgets");
        var listed = long.Parse(informer.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.TrueAsync(() => informer.Bookmarks >= 3, "three bookmarks");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", "w", "red"), "test.talm.io", "v1", "default", "widgets");
        await Eventually.TrueAsync(() => informer.Cache.Get("default", "w") is not null, "the event after the bookmarks");
        Assert.Equal(1, informer.Watches);
        Assert.Equal(1, informer.Lists);
        Assert.True(long.Parse(informer.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > listed);
    }

    [Fact]
    public async Task A_silent_watch_is_dropped_by_the_watchdog_and_resumed_without_relisting()
    {
        await _server!.DisposeAsync();
        _server = await StartServerAsync(TimeSpan.FromHours(1)); // no bookmarks: an idle watch is silent
        using var client = Client();
        var informer = new Informer(client, Widget, NullLogger.Instance, new InformerOptions { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        var run = informer.RunAsync(_stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => informer.Watches >= 3, "the watchdog to reconnect twice");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget_("default", "late", "blue"), "test.talm.io", "v1", "default", "widgets");
        await Eventually.TrueAsync(() => informer.Cache.Get("default", "late") is not null, "the event after reconnecting");
        Assert.Equal(1, informer.Lists);
    }
}
