using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Lab.Hub;
using Talm.Lab.Rhacm;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;
using Talm.Lab.View;
using Talm.Operator.Kube;

namespace Talm.Lab.Run;

/// <summary>
/// <c>talm lab up</c>: hub, simulated RHACM and spokes, the real operator, the example objects and
/// the CGU; then follows the CGU to a terminal condition while showing it, and sums it up.
/// </summary>
public sealed class LabRunner
{
    private static readonly string[] FinalBackupStates = ["Succeeded", "BackupTimeout", "UnrecoverableError"];
    private readonly ILabBackend _backend;
    private readonly Func<string, SpokeFaults, CancellationToken, Task<SimulatedSpoke>> _createSpoke;
    private readonly ILabView _view;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public LabRunner(
        ILabBackend backend,
        Func<string, SpokeFaults, CancellationToken, Task<SimulatedSpoke>> createSpoke,
        ILabView view,
        TimeProvider time,
        ILogger log)
    {
        _backend = backend;
        _createSpoke = createSpoke;
        _view = view;
        _time = time;
        _log = log;
    }

    /// <summary>Set once the hub is up: the kubeconfig of the running lab.</summary>
    public string? Kubeconfig { get; private set; }

    /// <summary>Set once the operator is started: the running operator (its process id in process mode).</summary>
    public IRunningOperator? Operator { get; private set; }

    /// <summary>Set once the hub is up: the API server's request counters.</summary>
    public KubeApi.Metrics.RequestMetrics? Requests { get; private set; }

    /// <summary>The spokes of the running lab, by name (for recovery and tests).</summary>
    public IReadOnlyDictionary<string, SimulatedSpoke> Spokes { get; private set; } = new Dictionary<string, SimulatedSpoke>();

    /// <summary>
    /// Runs the lab. With <see cref="LabOptions.Keep"/> it then waits for <paramref name="ct"/> before
    /// tearing down; <paramref name="afterRun"/> runs while everything is still up (tests look around there).
    /// </summary>
    public async Task<LabResult> RunAsync(LabOptions options, CancellationToken ct, Func<LabResult, Task>? afterRun = null)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(options.WorkDir);
        await using var hub = await _backend.StartHubAsync(Path.Combine(options.WorkDir, "hub"), ct);
        Kubeconfig = hub.KubeconfigPath;
        Requests = hub.Requests;
        var client = HubClient.FromKubeconfig(hub.KubeconfigPath);
        _view.Note($"Hub API server is up. Look around with:  KUBECONFIG={hub.KubeconfigPath} kubectl get cgu -A");

        var names = options.SpokeNames.ToList();
        var spokes = new Dictionary<string, SimulatedSpoke>(StringComparer.Ordinal);
        var gate = new SemaphoreSlim(options.Fidelity == Fidelity.Full ? 2 : 64);
        try
        {
            var created = await Task.WhenAll(names.Select(async n =>
            {
                await gate.WaitAsync(ct);
                try { return await _createSpoke(n, options.FaultsFor(n), ct); }
                finally { gate.Release(); }
            }));
            foreach (var s in created) spokes[s.Name] = s;
            Spokes = spokes;
            _view.Note($"{spokes.Count} {options.Fidelity.ToString().ToLowerInvariant()}-fidelity spokes are ready.");

            var rhacm = new SimulatedRhacm(client, spokes, _time, _log);
            var viewFinished = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(StringComparer.Ordinal);
            rhacm.ViewWritten += (cluster, view, status) =>
            {
                if (view == SpokeNames.ViewBackupJob && JobFinished(Json.At(status, "result", "status")))
                    viewFinished.TryAdd(cluster, Stopwatch.GetTimestamp());
            };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var rhacmTask = rhacm.RunAsync(stop.Token);

            await CreateFleetAsync(client, names, ct);
            await WaitForPolicyAsync(client, names.Count, ct);
            _view.Note($"Policy {HubObjects.PolicyName} is propagated to {names.Count} clusters (inform, non-compliant).");

            await using var op = await _backend.StartOperatorAsync(hub.KubeconfigPath, options.WorkDir, ct);
            Operator = op;
            _view.Note(op.ProcessId is { } pid
                ? $"The hub operator is running as process {pid} (log: {op.LogPath})."
                : "The hub operator is running in this process.");

            var cgu = options.CguDocument is null
                ? HubObjects.DefaultCgu(names, options.MaxConcurrency, options.TimeoutMinutes, enable: !options.Disabled)
                : YamlDocument.ToJsonObject(options.CguDocument);
            cgu["metadata"] ??= new JsonObject();
            var cguNs = Json.Namespace(cgu);
            if (cguNs.Length == 0)
            {
                cguNs = HubObjects.GroupNamespace;
                cgu["metadata"]!["namespace"] = cguNs;
            }
            var cguName = Json.Name(cgu);
            await client.CreateAsync(Kinds.Namespace, HubObjects.Namespace(cguNs), ct);
            var setUp = clock.Elapsed;
            var enabledAt = Stopwatch.GetTimestamp();
            if (!await client.CreateAsync(Kinds.ClusterGroupUpgrade, cgu, ct))
                throw new InvalidOperationException($"A ClusterGroupUpgrade {cguNs}/{cguName} already exists on this hub; remove {options.WorkDir} to start afresh.");
            _view.Note($"Created ClusterGroupUpgrade {cguNs}/{cguName}.");
            if (Json.At(cgu, "spec", "enable")?.GetValueKind() == System.Text.Json.JsonValueKind.False)
            {
                _view.Note($"It is not enabled. Check before the window that each cluster can take its backup (docs/hub.md, kubectl talm preflight):  " +
                           $"KUBECONFIG={hub.KubeconfigPath} kubectl talm preflight {cguName} -n {cguNs} --image {EmbeddedBackend.RecoveryImage}");
                _view.Note($"then enable it and this run follows the upgrade:  " +
                           $"KUBECONFIG={hub.KubeconfigPath} kubectl patch cgu {cguName} -n {cguNs} --type merge -p '{{\"spec\":{{\"enable\":true}}}}'");
            }

            var (finished, finalCgu, latencies) = await FollowAsync(client, cguNs, cguName, names, viewFinished, op.Stopped, options.Deadline, ct);
            var enableToCompletion = Stopwatch.GetElapsedTime(enabledAt);
            var policy = await client.GetAsync(Kinds.Policy, HubObjects.GroupNamespace, HubObjects.PolicyName, ct);
            latencies.Sort();
            // Counted by the server for the operator's User-Agent, so the same in either operator mode.
            var counts = ClientRequestCounts.Of(hub.Requests, OperatorUserAgent.Product + "/");
            var metrics = new LabMetrics(
                counts.Writes, counts.Reads, counts.Deletes, counts.WritesByResource, rhacm.StatusWrites, rhacm.ActionsExecuted,
                latencies.Count == 0 ? null : latencies[^1],
                latencies.Count == 0 ? null : latencies[latencies.Count / 2],
                latencies.Count,
                latencies.Count == 0 ? null : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)],
                op.Mode.ToString().ToLowerInvariant());
            var result = new LabResult(finished, hub.KubeconfigPath, setUp, enableToCompletion, clock.Elapsed,
                Outcomes(names, finalCgu, policy, spokes), finalCgu, metrics);

            if (afterRun is not null) await afterRun(result);
            if (options.Keep)
            {
                _view.Note($"Everything keeps running (--keep); Ctrl-C to stop.  KUBECONFIG={hub.KubeconfigPath} kubectl get cgu -A");
                try { await Task.Delay(Timeout.Infinite, ct); }
                catch (OperationCanceledException) { }
            }
            await stop.CancelAsync();
            try { await rhacmTask; }
            catch (OperationCanceledException) { }
            return result;
        }
        finally
        {
            foreach (var s in spokes.Values) await s.DisposeAsync();
            gate.Dispose();
        }
    }

    private static async Task CreateFleetAsync(HubClient client, IReadOnlyList<string> names, CancellationToken ct)
    {
        await client.CreateAsync(Kinds.Namespace, HubObjects.Namespace(HubObjects.GroupNamespace), ct);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (n, token) =>
        {
            await client.CreateAsync(Kinds.Namespace, HubObjects.Namespace(n), token);
            await client.CreateAsync(Kinds.ManagedCluster, HubObjects.ManagedCluster(n), token);
        });
        await client.CreateAsync(Kinds.Policy, HubObjects.PlatformUpgradePolicy(), ct);
        await client.CreateAsync(Kinds.Placement, HubObjects.GroupPlacement(), ct);
        await client.CreateAsync(Kinds.PlacementBinding, HubObjects.GroupPlacementBinding(), ct);
    }

    private static async Task WaitForPolicyAsync(HubClient client, int clusters, CancellationToken ct)
    {
        var limit = Stopwatch.StartNew();
        while (true)
        {
            var policy = await client.GetAsync(Kinds.Policy, HubObjects.GroupNamespace, HubObjects.PolicyName, ct);
            if (Json.Items(Json.At(policy, "status", "status")).Count() >= clusters) return;
            if (limit.Elapsed > TimeSpan.FromMinutes(10))
                throw new TimeoutException($"Policy {HubObjects.PolicyName} did not reach all {clusters} clusters in 10 minutes; the simulated RHACM is stuck (see the log above).");
            await Task.Delay(100, ct);
        }
    }

    private async Task<(bool Finished, JsonNode? Cgu, List<double> Latencies)> FollowAsync(
        HubClient client, string ns, string name, IReadOnlyList<string> clusters,
        System.Collections.Concurrent.ConcurrentDictionary<string, long> viewFinished, Task<string> operatorStopped, TimeSpan deadline, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(deadline);
        JsonNode? cgu = null;
        JsonNode? policy = null;
        var conditions = new Dictionary<string, CguCondition>(StringComparer.Ordinal);
        var measured = new HashSet<string>(StringComparer.Ordinal);
        var latencies = new List<double>();
        var started = Stopwatch.StartNew();
        var lastPolicyPoll = TimeSpan.FromDays(-1);
        var showEvery = clusters.Count > 200 ? TimeSpan.FromSeconds(1) : TimeSpan.Zero;
        var lastShow = TimeSpan.FromDays(-1);

        using var pollPolicy = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        // The watch is read on its own task and each event timed as it arrives, so the table built
        // here (10,000 rows at fleet scale) never delays the latencies it measures.
        JsonNode? latest = null;
        var arrived = System.Threading.Channels.Channel.CreateBounded<bool>(
            new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var (type, obj) in client.WatchAsync(Kinds.ClusterGroupUpgrade, limit.Token))
                {
                    var now = Stopwatch.GetTimestamp();
                    if (Json.Namespace(obj) != ns || Json.Name(obj) != name || type == WatchEventType.Deleted) continue;
                    if (Json.At(obj, "status", "backup", "status") is JsonObject backup)
                    {
                        foreach (var (cluster, state) in backup)
                        {
                            if (!FinalBackupStates.Contains(state?.ToString()) || !measured.Add(cluster)) continue;
                            if (viewFinished.TryGetValue(cluster, out var at))
                                latencies.Add(Stopwatch.GetElapsedTime(at, now).TotalSeconds);
                        }
                    }
                    Volatile.Write(ref latest, obj);
                    arrived.Writer.TryWrite(true);
                }
            }
            finally
            {
                arrived.Writer.TryComplete();
            }
        }, CancellationToken.None);

        async Task StopReadingAsync()
        {
            await limit.CancelAsync();
            try { await reader; }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
        }

        Task<bool>? next = null;
        Task<bool>? tick = null;
        try
        {
            while (true)
            {
                next ??= arrived.Reader.WaitToReadAsync(limit.Token).AsTask();
                tick ??= pollPolicy.WaitForNextTickAsync(limit.Token).AsTask();
                var done = await Task.WhenAny(next, tick, operatorStopped);
                if (done == operatorStopped)
                {
                    var why = await operatorStopped;
                    await StopReadingAsync();
                    throw new OperatorStoppedException(why);
                }
                if (done == tick) tick = null;
                if (done == next)
                {
                    if (!await next)
                    {
                        await reader; // the watch ended: its error, if any, is the run's
                        break;
                    }
                    next = null;
                    while (arrived.Reader.TryRead(out _)) { }
                    cgu = Volatile.Read(ref latest);
                }
                if (started.Elapsed - lastPolicyPoll > TimeSpan.FromSeconds(1))
                {
                    lastPolicyPoll = started.Elapsed;
                    policy = await client.GetAsync(Kinds.Policy, HubObjects.GroupNamespace, HubObjects.PolicyName, limit.Token);
                }
                // Conditions are cheap to read; the table (one row per cluster) is built at most once a
                // second for big fleets.
                var current = LabSnapshot.ConditionsOf(cgu);
                foreach (var c in current)
                {
                    if (conditions.TryGetValue(c.Type, out var old) && old == c) continue;
                    conditions[c.Type] = c;
                    _view.Note($"[{started.Elapsed.TotalSeconds,6:F1}s] {c}");
                }
                if (started.Elapsed - lastShow >= showEvery)
                {
                    lastShow = started.Elapsed;
                    _view.Show(LabSnapshot.From(clusters, cgu, policy));
                }
                if (current.Any(c => c.Type == "Succeeded"))
                {
                    await StopReadingAsync();
                    policy = await client.GetAsync(Kinds.Policy, HubObjects.GroupNamespace, HubObjects.PolicyName, ct);
                    _view.Show(LabSnapshot.From(clusters, cgu, policy));
                    return (true, cgu, latencies);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _view.Note($"The CGU did not reach a terminal condition within {deadline.TotalMinutes:F0} minutes; stopping.");
        }
        finally
        {
            await StopReadingAsync();
        }
        return (false, cgu, latencies);
    }

    private static bool JobFinished(JsonNode? jobStatus) =>
        (Json.Long(jobStatus, "succeeded") ?? 0) > 0 ||
        Json.Items(Json.At(jobStatus, "conditions")).Any(c => Json.Str(c, "type") == "Failed" && Json.Str(c, "status") == "True");

    private static List<ClusterOutcome> Outcomes(IReadOnlyList<string> names, JsonNode? cgu, JsonNode? policy, IReadOnlyDictionary<string, SimulatedSpoke> spokes)
    {
        var snapshot = LabSnapshot.From(names, cgu, policy);
        var finished = Json.Items(Json.At(cgu, "status", "clusters"))
            .ToDictionary(e => Json.Str(e, "name") ?? "", e => Json.Str(e, "state") ?? "", StringComparer.Ordinal);
        var list = new List<ClusterOutcome>();
        foreach (var row in snapshot.Rows)
        {
            var record = spokes.TryGetValue(row.Cluster, out var s) ? s.LastBackup : null;
            string result;
            if (finished.TryGetValue(row.Cluster, out var state))
                result = state == "complete" ? "upgraded" : state == "timedout" ? "timed out" : state;
            else if (row.Backup != "-" && row.Backup != "Succeeded")
                result = $"skipped (backup {row.Backup})";
            else if (row.Precache != "-" && row.Precache != "Succeeded")
                result = $"skipped (pre-cache {row.Precache})";
            else if (row.Compliance == "Compliant")
                result = "compliant";
            else
                result = "not upgraded";
            list.Add(new ClusterOutcome(row.Cluster, row.Backup, record?.Duration.TotalSeconds, record?.SizeBytes, row.Precache, result, row.Compliance));
        }
        return list;
    }
}
