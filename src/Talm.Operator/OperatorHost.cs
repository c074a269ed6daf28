using k8s;
using Microsoft.Extensions.Logging;
using Talm.Api.Build;
using Talm.Engine;
using Talm.Engine.Model;
using Talm.Operator.Election;
using Talm.Operator.Events;
using Talm.Operator.Hosting;
using Talm.Operator.Kube;
using Talm.Operator.Metrics;
using Talm.Operator.Queue;
using Talm.Operator.Reconcile;
using Talm.Operator.UpdateService;

namespace Talm.Operator;

/// <summary>
/// The hub operator: informers fill the caches and queue the CGUs that care about each change;
/// while this replica leads (or always, without leader election) a bounded pool of workers
/// reconciles them. Health and metrics are served throughout; ready once the caches are synced.
/// </summary>
public sealed class OperatorHost : IDisposable
{
    private readonly IKubernetes _client;
    private readonly OperatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _logs;
    private readonly ILogger _log;
    private readonly ControllerMetrics _metrics;
    private readonly WorkQueue _queue;
    private readonly CguEngine _engine;
    private volatile bool _leading;

    public OperatorHost(IKubernetes client, OperatorOptions options, TimeProvider time, ILoggerFactory logs, CguEngine? engine = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ClusterStepsPerReconcile, 1, nameof(options.ClusterStepsPerReconcile));
        _client = client;
        _options = options;
        _time = time;
        _logs = logs;
        _log = logs.CreateLogger("Talm.Operator");
        _metrics = new ControllerMetrics();
        _queue = new WorkQueue(ControllerMetrics.Controller, time, options.Backoff, _metrics.Queue);
        _engine = engine ?? new CguEngine();
        Caches = new HubCaches(client, logs, options.Informers);
        var mapper = new CguEventMapper(Caches.Cgus);
        foreach (var informer in Caches.Informers)
        {
            if (!options.ReactToSpokeObjects && (informer.Kind == WatchedKind.ManagedClusterView || informer.Kind == WatchedKind.ManagedClusterAction))
                continue;
            informer.AddHandler(change =>
            {
                foreach (var key in mapper.KeysFor(change)) _queue.Add(key);
            });
        }
    }

    public HubCaches Caches { get; }
    public bool Ready => Caches.Synced;
    public bool Leading => _leading;
    public ProbeServer? Probes { get; private set; }

    /// <summary>Runs until cancelled; throws <see cref="LeadershipLostException"/> if the lease is lost.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var build = BuildVersion.Current;
        _log.LogInformation("Starting the talm operator {Version}, commit {Commit}", build.Version, build.Commit ?? "unknown");
        Probes = await ProbeServer.StartAsync(_options.HealthBind, _options.MetricsBind, () => Ready, () => true, _metrics,
            MetricsServing(), _logs, cancel).ConfigureAwait(false);
        foreach (var url in Probes.HealthUrls) _log.LogInformation("Serving /healthz and /readyz on {Url}", url);
        foreach (var url in Probes.MetricsUrls)
        {
            _log.LogInformation(_options.MetricsSecure
                ? "Serving /metrics on {Url} over HTTPS to callers allowed to get /metrics (TokenReview and SubjectAccessReview)"
                : "Serving /metrics on {Url} over plain HTTP to anyone (--metrics-secure=false)", url);
        }

        if (_options.LeaderElection is { } lease) _metrics.Leading(lease.LeaseName, false);
        if (_options.RecoveryImage is null)
            _log.LogWarning("RECOVERY_IMG is not set: the backups of ClusterGroupUpgrades with backup: true cannot start; set it to the recovery image");

        var informers = Caches.RunAsync(stop.Token);
        try
        {
            await Caches.WhenSynced.WaitAsync(stop.Token).ConfigureAwait(false);
            _log.LogInformation("Caches synced: {Cgus} ClusterGroupUpgrades, {Clusters} ManagedClusters, {Policies} Policies",
                Caches.Cgus.Count, Caches.ManagedClusters.Count, Caches.Policies.Count);
            if (_options.LeaderElection is { } election)
                await LeaderElection.RunAsync(_client, election, LeadAsync, _log, stop.Token).ConfigureAwait(false);
            else
                await LeadAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await informers.ConfigureAwait(false);
            await Probes.DisposeAsync().ConfigureAwait(false);
        }
    }

    private MetricsServing MetricsServing()
    {
        if (!_options.MetricsSecure || BindAddress.IsDisabled(_options.MetricsBind)) return Hosting.MetricsServing.Plain;
        var log = _logs.CreateLogger("Talm.Operator.Metrics");
        ServingCertificate certificate;
        if (_options.MetricsCertDir is { } dir)
        {
            certificate = ServingCertificate.FromDirectory(dir, _time, log);
        }
        else
        {
            log.LogWarning("No --metrics-cert-dir: serving /metrics with a self-signed certificate made at start");
            certificate = ServingCertificate.SelfSigned(_time, log);
        }
        return new MetricsServing(certificate, new MetricsAuthFilter(_client, _time, log));
    }

    private async Task LeadAsync(CancellationToken cancel)
    {
        _leading = true;
        if (_options.LeaderElection is { } lease) _metrics.Leading(lease.LeaseName, true);
        try
        {
            var settings = new EngineSettings
            {
                RecoveryImage = _options.RecoveryImage,
                PrecacheImage = _options.PrecacheImage,
                ClusterStepsPerDecision = _options.ClusterStepsPerReconcile,
            };
            var events = new EventRecorder(_client, _options.Component, _options.Instance, _time, _logs.CreateLogger("Talm.Operator.Events"));
            using var graphs = new UpdateGraphClient(_options.InsecureUpdateGraph, _time, _logs.CreateLogger("Talm.Operator.UpdateGraph"));
            var reconciler = new CguReconciler(_client, Caches, _engine, settings, events, _metrics, graphs, _time,
                _logs.CreateLogger("Talm.Operator.Reconciler"));
            // Every CGU gets a first look when this replica starts leading.
            foreach (var cgu in Caches.Cgus.All()) _queue.Add(cgu.Key);
            var controller = new Controller(_queue, reconciler, _options.Workers, _metrics, _time, _logs.CreateLogger("Talm.Operator.Controller"));
            _log.LogInformation("Reconciling ClusterGroupUpgrades with {Workers} workers", _options.Workers);
            await controller.RunAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            _leading = false;
            if (_options.LeaderElection is { } held) _metrics.Leading(held.LeaseName, false);
        }
    }

    public string RenderMetrics() => _metrics.Render();

    public void Dispose() => _queue.Dispose();
}
