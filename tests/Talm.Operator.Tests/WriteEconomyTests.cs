using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Operator.Kube;
using Talm.Operator.Reconcile;

namespace Talm.Operator.Tests;

/// <summary>
/// What the operator writes for a backup, and when: no deletes of objects that are not there, the
/// success clean-up in the reconcile that records it (as the reference orders them), intents on
/// different clusters side by side but in order per cluster.
/// </summary>
public sealed class WriteEconomyTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync() => _hub = await Hub.StartWithTwoSpokesAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    /// <summary>Every write the operator makes, in order, with the answer's status code and, for CGU status writes, the backup map.</summary>
    private sealed class Recorder : DelegatingHandler
    {
        public ConcurrentQueue<(string Method, string Path, int Code, string? Body)> Writes { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Get)
                Writes.Enqueue((request.Method.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode, body));
            return response;
        }

        public List<(string Method, string Path, int Code, string? Body)> On(string cluster) =>
            [.. Writes.Where(w => (w.Path.Contains("/managedclusteractions", StringComparison.Ordinal) || w.Path.Contains("/managedclusterviews", StringComparison.Ordinal))
                && w.Path.Contains($"/namespaces/{cluster}/", StringComparison.Ordinal))];
    }

    private async Task<Recorder> BackUpBothAsync()
    {
        var recorder = new Recorder();
        await _hub.StartOperatorAsync(spy: recorder);
        await _hub.CguAsync("cgu", BackupStoryTests.BackupSpec("spoke1", "spoke2"));
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            await _hub.NamespaceExistsOnSpokeAsync(c);
            await _hub.JobAsync(c, Hub.JobSucceeded());
        }
        await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "True", "BackupCompleted", "Backup is completed for all clusters");
        await Eventually.TrueAsync(() => _hub.GetAsync(WatchedKind.ManagedClusterView, "spoke2", "view-backup-namespace").Result is null, "views deleted");
        return recorder;
    }

    [Fact]
    public async Task A_fresh_backup_deletes_nothing_that_is_not_there_and_costs_at_most_12_writes_per_cluster()
    {
        var recorder = await BackUpBothAsync();
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            var writes = recorder.On(c);
            Assert.DoesNotContain(writes, w => w.Code == 404);
            // Creates: two delete actions, three create actions and the namespace view, the job view and its action;
            // deletes: the two views after success.
            Assert.Equal(8, writes.Count(w => w.Method == "POST"));
            Assert.Equal(["view-backup-job", "view-backup-namespace"], writes.Where(w => w.Method == "DELETE").Select(w => w.Path.Split('/')[^1]).Order());
            Assert.InRange(writes.Count, 10, 12);
        }
    }

    [Fact]
    public async Task Leftovers_of_an_earlier_attempt_are_deleted_before_the_backup_starts()
    {
        // A job view from an earlier attempt still says Succeeded: trusting it would skip the backup.
        await _hub.CreateAsync(WatchedKind.ManagedClusterView, "spoke1", new JsonObject
        {
            ["apiVersion"] = "view.open-cluster-management.io/v1beta1", ["kind"] = "ManagedClusterView",
            ["metadata"] = new JsonObject { ["name"] = "view-backup-job", ["namespace"] = "spoke1" },
            ["spec"] = new JsonObject { ["scope"] = new JsonObject { ["resource"] = "jobs", ["name"] = "backup-agent", ["namespace"] = "openshift-talo-backup" } },
        });
        await _hub.JobAsync("spoke1", Hub.JobSucceeded());
        var recorder = new Recorder();
        await _hub.StartOperatorAsync(spy: recorder);
        await _hub.CguAsync("cgu", BackupStoryTests.BackupSpec("spoke1", "spoke2"));

        await Eventually.TrueAsync(() => recorder.On("spoke1").Any(w => w.Method == "DELETE" && w.Path.EndsWith("/view-backup-job", StringComparison.Ordinal)),
            "the stale job view deleted");
        await _hub.NamespaceExistsOnSpokeAsync("spoke1");
        await _hub.NamespaceExistsOnSpokeAsync("spoke2");
        var cgu = await _hub.WaitForAsync(WatchedKind.ManagedClusterAction, "spoke1", "backup-job-create");
        Assert.NotEqual("Succeeded", Hub.BackupState((await _hub.Cgu("cgu"))!.Value, "spoke1"));
        _ = cgu;
    }

    [Fact]
    public async Task A_success_is_cleaned_up_in_the_reconcile_that_records_it()
    {
        // The reference's triggerBackup deletes a succeeded cluster's views before it sets the state,
        // and writes the status at the end of that reconcile: the delete comes first, and no other
        // status write falls between them.
        var recorder = await BackUpBothAsync();
        var all = recorder.Writes.ToList();
        static bool IsStatus((string Method, string Path, int Code, string? Body) w) =>
            w.Path.EndsWith("/clustergroupupgrades/cgu/status", StringComparison.Ordinal);
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            var status = all.FindIndex(w => IsStatus(w) &&
                w.Body is not null && JsonNode.Parse(w.Body)?["status"]?["backup"]?["status"]?[c]?.GetValue<string>() == "Succeeded");
            var cleanUp = all.FindIndex(w => w.Method == "DELETE" && w.Path == $"/apis/view.open-cluster-management.io/v1beta1/namespaces/{c}/managedclusterviews/view-backup-job");
            Assert.True(status >= 0 && cleanUp >= 0, $"status write at {status}, view delete at {cleanUp}");
            Assert.True(cleanUp < status, $"{c}: the status showed Succeeded (write {status}) before the view was deleted (write {cleanUp})");
            Assert.DoesNotContain(all[(cleanUp + 1)..status], IsStatus);
            Assert.Equal(2, all[cleanUp].Code / 100); // the view was there to delete
        }
    }

    /// <summary>Delays every write and counts how many are in flight at once.</summary>
    private sealed class SlowWrites : DelegatingHandler
    {
        private int _inFlight;

        public int MostInFlight;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Get) return await base.SendAsync(request, cancellationToken);
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = Volatile.Read(ref MostInFlight)) < now && Interlocked.CompareExchange(ref MostInFlight, now, seen) != seen)
            {
            }
            try
            {
                await Task.Delay(40, cancellationToken);
                return await base.SendAsync(request, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    [Fact]
    public async Task Intents_on_different_clusters_run_side_by_side_and_in_order_on_each()
    {
        var slow = new SlowWrites();
        var config = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(_hub.Server.KubeconfigPath);
        using var client = new k8s.Kubernetes(config, slow);
        var caches = new HubCaches(client, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var informers = caches.RunAsync(stop.Token);
        await caches.WhenSynced.WaitAsync(TimeSpan.FromSeconds(20));
        var executor = new IntentExecutor(client, caches, NullLogger.Instance, parallelism: 4);
        var clusters = Enumerable.Range(1, 8).Select(i => $"c{i}").ToList();
        foreach (var c in clusters) await _hub.NamespaceAsync(c);

        static ManagedClusterView View(string ns, string name) => new()
        {
            Metadata = new ObjectMeta { Name = name, Namespace = ns },
            Spec = new ManagedClusterViewSpec { Scope = new ViewScope { Resource = "namespaces", Name = "x" } },
        };
        // Per cluster: create, delete, create again. Out of order, some would end up deleted.
        var intents = clusters.SelectMany(c => new Intent[]
        {
            new ApplyIntent(ApplyMode.Create, View(c, "v")),
            new DeleteIntent(Kinds.ManagedClusterView, c, "v"),
            new ApplyIntent(ApplyMode.Create, View(c, "v")),
        }).ToList();
        var cgu = KubeObject.FromJson(Talm.Api.Json.KubeJson.Element("""{"metadata":{"name":"cgu","namespace":"ztp-group","resourceVersion":"1"}}"""));
        await executor.ApplyAllAsync(intents, cgu, CancellationToken.None);

        foreach (var c in clusters)
            Assert.NotNull(await _hub.GetAsync(WatchedKind.ManagedClusterView, c, "v"));
        Assert.InRange(slow.MostInFlight, 2, 4);
        await stop.CancelAsync();
        try { await informers; } catch (OperationCanceledException) { }
    }

    [Fact]
    public async Task With_one_cluster_step_per_reconcile_every_backup_still_finishes()
    {
        await using var hub = await Hub.StartAsync();
        foreach (var c in new[] { "spoke1", "spoke2", "spoke3" }) await hub.ClusterAsync(c);
        await hub.PolicyAsync("upgrade", new() { ["spoke1"] = "NonCompliant", ["spoke2"] = "NonCompliant", ["spoke3"] = "NonCompliant" });
        await hub.StartOperatorAsync(Hub.Options() with { ClusterStepsPerReconcile = 1 });
        await hub.CguAsync("cgu", BackupStoryTests.BackupSpec("spoke1", "spoke2", "spoke3"));
        // One cluster at a time: the next starts only in the next reconcile, which follows at once.
        foreach (var c in new[] { "spoke1", "spoke2", "spoke3" })
        {
            await hub.NamespaceExistsOnSpokeAsync(c);
            await hub.JobAsync(c, Hub.JobSucceeded());
        }
        await hub.WaitConditionAsync("cgu", "BackupSuceeded", "True", "BackupCompleted", "Backup is completed for all clusters");
    }

    [Fact]
    public void Zero_cluster_steps_per_reconcile_is_refused()
    {
        var config = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(_hub.Server.KubeconfigPath);
        using var client = new k8s.Kubernetes(config);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new OperatorHost(client, Hub.Options() with { ClusterStepsPerReconcile = 0 }, TimeProvider.System, NullLoggerFactory.Instance));
        Assert.Contains("ClusterStepsPerReconcile", e.Message, StringComparison.Ordinal);
    }
}
