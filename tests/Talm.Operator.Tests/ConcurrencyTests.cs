using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Engine;
using Talm.Engine.Model;
using Talm.Operator.Events;
using Talm.Operator.Kube;
using Talm.Operator.Metrics;
using Talm.Operator.Reconcile;
using Talm.Operator.UpdateService;

namespace Talm.Operator.Tests;

/// <summary>Concurrent edits of a CGU: 409 Conflict on the status write, and a user editing throughout.</summary>
public sealed class ConcurrencyTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await Hub.StartWithTwoSpokesAsync();
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task A_status_write_on_a_stale_version_gets_409_writes_nothing_and_the_retry_on_fresh_data_succeeds()
    {
        await _hub.CguAsync("cgu", BackupStoryTests.BackupSpec("spoke1", "spoke2"));
        var caches = new HubCaches(_hub.Client, NullLoggerFactory.Instance);
        using var stopAll = new CancellationTokenSource();
        var stopCgus = CancellationTokenSource.CreateLinkedTokenSource(stopAll.Token);
        var cguInformer = caches[WatchedKind.ClusterGroupUpgrade];
        var runs = caches.Informers.Select(i => i.RunAsync(i == cguInformer ? stopCgus.Token : stopAll.Token)).ToList();
        await caches.WhenSynced.WaitAsync(TimeSpan.FromSeconds(10));

        var metrics = new ControllerMetrics();
        var events = new EventRecorder(_hub.Client, "test", "test", _hub.Clock, NullLogger.Instance);
        using var graphs = new UpdateGraphClient(false, _hub.Clock, NullLogger.Instance);
        var reconciler = new CguReconciler(_hub.Client, caches, new CguEngine(), new EngineSettings { RecoveryImage = Hub.RecoveryImage },
            events, metrics, graphs, _hub.Clock, NullLogger.Instance);

        await reconciler.ReconcileAsync("ztp-group/cgu", CancellationToken.None); // adds the finalizer, nothing else
        Assert.Null(Hub.BackupState((await _hub.Cgu("cgu"))!.Value, "spoke1"));
        await reconciler.ReconcileAsync("ztp-group/cgu", CancellationToken.None); // computedMaxConcurrency, then again at once
        Assert.Null(Hub.BackupState((await _hub.Cgu("cgu"))!.Value, "spoke1"));
        await reconciler.ReconcileAsync("ztp-group/cgu", CancellationToken.None); // PreparingToStart -> Starting
        await reconciler.ReconcileAsync("ztp-group/cgu", CancellationToken.None); // asks for the namespace
        Assert.Equal("Starting", Hub.BackupState((await _hub.Cgu("cgu"))!.Value, "spoke1"));

        // The operator's view of the CGU freezes while a user edits its spec.
        await stopCgus.CancelAsync();
        await runs[caches.Informers.ToList().IndexOf(cguInformer)];
        await _hub.PatchAsync(WatchedKind.ClusterGroupUpgrade, Hub.CguNs, "cgu", new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "ran" } },
            ["spec"] = new JsonObject { ["batchTimeoutAction"] = "Abort" },
        });

        // RHACM answers both clusters' views: a CGU waits for every answer before it reads any.
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            await _hub.NamespaceExistsOnSpokeAsync(c);
            await Eventually.TrueAsync(() => HasStatus(caches.Views.Get(c, "view-backup-namespace")), "the namespace view in the cache");
        }
        await reconciler.ReconcileAsync("ztp-group/cgu", CancellationToken.None); // creates the jobs; status unchanged
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            await _hub.JobAsync(c, Hub.JobActive());
            await Eventually.TrueAsync(() => HasStatus(caches.Views.Get(c, "view-backup-job")), "the job view in the cache");
        }

        await Assert.ThrowsAsync<StatusConflictException>(() => reconciler.ReconcileAsync("ztp-group/cgu", CancellationToken.None));
        Assert.Equal("Starting", Hub.BackupState((await _hub.Cgu("cgu"))!.Value, "spoke1")); // nothing half-written
        Assert.Contains("talm_status_update_conflicts_total{controller=\"clustergroupupgrade\"} 1\n", metrics.Render(), StringComparison.Ordinal);

        // The conflict refreshed the cached CGU: the retry decides on the user's version and succeeds.
        Assert.Equal("ran", caches.Cgus.Get(Hub.CguNs, "cgu")?.Label("team"));
        await reconciler.ReconcileAsync("ztp-group/cgu", CancellationToken.None);
        var resumed = cguInformer.RunAsync(stopAll.Token);
        var cgu = (await _hub.Cgu("cgu"))!.Value;
        Assert.Equal("Active", Hub.BackupState(cgu, "spoke1"));
        Assert.Equal("ran", cgu.GetProperty("metadata").GetProperty("labels").GetProperty("team").GetString());
        Assert.Equal("Abort", cgu.GetProperty("spec").GetProperty("batchTimeoutAction").GetString());

        // A stale version that differs only in labels: the write is redone on the new version at once.
        await stopAll.CancelAsync();
        await Task.WhenAll(runs.Append(resumed));
        using var views = new CancellationTokenSource();
        var viewRun = caches[WatchedKind.ManagedClusterView].RunAsync(views.Token);
        await _hub.PatchAsync(WatchedKind.ClusterGroupUpgrade, Hub.CguNs, "cgu",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "ran-2" } } });
        await _hub.JobAsync("spoke1", Hub.JobSucceeded());
        await Eventually.TrueAsync(() => caches.Views.Get("spoke1", "view-backup-job")?.Json.GetProperty("status").GetProperty("result")
            .GetProperty("status").TryGetProperty("succeeded", out _) == true, "the succeeded job in the cache");
        await reconciler.ReconcileAsync("ztp-group/cgu", CancellationToken.None);
        cgu = (await _hub.Cgu("cgu"))!.Value;
        Assert.Equal("Succeeded", Hub.BackupState(cgu, "spoke1"));
        Assert.Equal("ran-2", cgu.GetProperty("metadata").GetProperty("labels").GetProperty("team").GetString());
        Assert.Contains("talm_status_update_conflicts_total{controller=\"clustergroupupgrade\"} 2\n", metrics.Render(), StringComparison.Ordinal);
        await views.CancelAsync();
        await viewRun;
        stopCgus.Dispose();
    }

    [Fact]
    public async Task A_user_editing_the_CGU_throughout_does_not_stop_the_backup()
    {
        var op = await _hub.StartOperatorAsync();
        await _hub.CguAsync("cgu", BackupStoryTests.BackupSpec("spoke1", "spoke2"));
        using var stop = new CancellationTokenSource();
        var edits = 0;
        var noisy = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await _hub.PatchAsync(WatchedKind.ClusterGroupUpgrade, Hub.CguNs, "cgu",
                    new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["edit"] = (++edits).ToString(System.Globalization.CultureInfo.InvariantCulture) } } });
                await Task.Delay(5);
            }
        });
        // Each step of the backup happens while the user keeps editing.
        Task MoreEditsAsync()
        {
            var target = Volatile.Read(ref edits) + 5;
            return Eventually.TrueAsync(() => Volatile.Read(ref edits) >= target, "more user edits");
        }
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            await MoreEditsAsync();
            await _hub.NamespaceExistsOnSpokeAsync(c);
            await MoreEditsAsync();
            await _hub.JobAsync(c, Hub.JobSucceeded());
        }
        await MoreEditsAsync();
        await _hub.WaitConditionAsync("cgu", "BackupSuceeded", "True", "BackupCompleted", "Backup is completed for all clusters");
        await stop.CancelAsync();
        await noisy;
        var cgu = (await _hub.Cgu("cgu"))!.Value;
        Assert.Equal(edits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            cgu.GetProperty("metadata").GetProperty("annotations").GetProperty("edit").GetString());
        Assert.True(edits > 20, $"only {edits} edits happened");
        Assert.Equal(2, (await _hub.EventsAsync()).Count(e => e.Reason == "BackupFinished"));
        Assert.Contains("talm_backup_total{state=\"Succeeded\"} 2\n", op.RenderMetrics(), StringComparison.Ordinal);
    }

    private static bool HasStatus(KubeObject? view) => view is not null && view.Json.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Object;
}
