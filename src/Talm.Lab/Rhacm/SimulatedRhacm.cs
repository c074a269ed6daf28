using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging;
using Talm.Api.Meta;
using Talm.Lab.Hub;
using Talm.Lab.Spokes;

namespace Talm.Lab.Rhacm;

/// <summary>
/// Stands in for RHACM on the lab hub, through the Kubernetes API only: executes
/// ManagedClusterActions on the simulated spokes, keeps ManagedClusterViews current (as RHACM
/// does), keeps ManagedCluster conditions, and runs the policy framework.
/// </summary>
public sealed class SimulatedRhacm
{
    private readonly HubClient _hub;
    private readonly IReadOnlyDictionary<string, SimulatedSpoke> _spokes;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly StatusWriter _status;
    private readonly PolicyPropagator _policies;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _doneActions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ViewInfo> _views = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Cluster, SpokeObjectKey Target), HashSet<string>> _viewsByTarget = [];
    private readonly Dictionary<string, JsonObject> _clusterStatus = new(StringComparer.Ordinal);
    private long _actionsExecuted;
    private readonly TimeSpan _actionTtl;

    /// <summary>
    /// RHACM garbage-collects completed actions after a while, which is what lets a hub re-run an action
    /// of the same name (e.g. backup-ns-delete after a backup). The lab keeps them briefly.
    /// </summary>
    public static readonly TimeSpan DefaultActionTtl = TimeSpan.FromSeconds(5);

    private sealed record ViewInfo(string Namespace, string Name, string Uid, SpokeObjectKey Target)
    {
        public JsonObject? LastCondition { get; set; }
    }

    public SimulatedRhacm(HubClient hub, IReadOnlyDictionary<string, SimulatedSpoke> spokes, TimeProvider time, ILogger log, TimeSpan? actionTtl = null)
    {
        _actionTtl = actionTtl ?? DefaultActionTtl;
        _hub = hub;
        _spokes = spokes;
        _time = time;
        _log = log;
        _status = new StatusWriter(hub, log);
        _status.Written += OnStatusWritten;
        _policies = new PolicyPropagator(hub, _status, spokes, log);
        foreach (var spoke in spokes.Values) spoke.ObjectChanged += OnSpokeObjectChanged;
    }

    /// <summary>A view's status was written: (cluster, view name, status). For latency measurements.</summary>
    public event Action<string, string, JsonObject>? ViewWritten;

    public long ActionsExecuted => Interlocked.Read(ref _actionsExecuted);

    public long StatusWrites => _status.Writes;

    private readonly CancellationTokenSource _collect = new();

    public async Task RunAsync(CancellationToken ct)
    {
        await using var stop = ct.Register(_collect.Cancel);
        await RunAllAsync(ct);
    }

    private Task RunAllAsync(CancellationToken ct) => Task.WhenAll(
        _status.RunAsync(writers: 8, ct),
        _policies.RunAsync(ct),
        Pump(Kinds.ManagedCluster, OnCluster, ct),
        Pump(Kinds.ManagedClusterAction, OnAction, ct),
        Pump(Kinds.ManagedClusterView, OnView, ct),
        Pump(Kinds.Policy, _policies.OnPolicy, ct),
        Pump(Kinds.Placement, _policies.OnPlacement, ct),
        Pump(Kinds.PlacementBinding, _policies.OnBinding, ct));

    private async Task Pump(KindInfo kind, Action<WatchEventType, JsonNode> handle, CancellationToken ct)
    {
        try
        {
            await foreach (var (type, obj) in _hub.WatchAsync(kind, ct, _log))
            {
                try
                {
                    handle(type, obj);
                }
                catch (Exception e)
                {
                    _log.LogWarning(e, "Handling {Kind} {Namespace}/{Name} failed", kind.Kind, Json.Namespace(obj), Json.Name(obj));
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void OnCluster(WatchEventType type, JsonNode obj)
    {
        _policies.OnCluster(type, obj);
        var name = Json.Name(obj);
        if (type == WatchEventType.Deleted || !_spokes.TryGetValue(name, out var spoke)) return;
        JsonObject status;
        lock (_gate)
        {
            if (!_clusterStatus.TryGetValue(name, out status!))
            {
                var now = _time.GetUtcNow();
                var available = spoke.Reachable
                    ? Json.Condition("ManagedClusterConditionAvailable", "True", "ManagedClusterAvailable", "Managed cluster is available", now)
                    : Json.Condition("ManagedClusterConditionAvailable", "Unknown", "ManagedClusterLeaseUpdateStopped",
                        $"Registration agent stopped updating its lease.", now);
                status = new JsonObject
                {
                    ["conditions"] = new JsonArray(
                        Json.Condition("HubAcceptedManagedCluster", "True", "HubClusterAdminAccepted", "Accepted by hub cluster admin", now),
                        Json.Condition("ManagedClusterJoined", "True", "ManagedClusterJoined", "Managed cluster joined", now),
                        available),
                    ["version"] = new JsonObject { ["kubernetes"] = "v1.31.6" },
                };
                _clusterStatus[name] = status;
            }
        }
        _status.Set(Kinds.ManagedCluster, "", name, Json.Uid(obj), status);
    }

    private void OnAction(WatchEventType type, JsonNode obj)
    {
        var uid = Json.Uid(obj);
        var ns = Json.Namespace(obj);
        var name = Json.Name(obj);
        if (type == WatchEventType.Deleted)
        {
            lock (_gate) _doneActions.Remove(uid);
            _status.Forget(Kinds.ManagedClusterAction, ns, name, uid);
            return;
        }
        lock (_gate)
        {
            if (_doneActions.Contains(uid)) return;
            if (Json.Items(Json.At(obj, "status", "conditions")).Any(c => Json.Str(c, "type") == "Completed"))
            {
                _doneActions.Add(uid);
                return;
            }
        }
        if (!_spokes.TryGetValue(ns, out var spoke) || !spoke.Reachable) return;
        lock (_gate) _doneActions.Add(uid);

        var kube = Json.At(obj, "spec", "kube");
        var resource = Json.Str(kube, "resource") ?? "";
        var actionType = Json.Str(obj, "spec", "actionType") ?? "";
        string? error = null;
        try
        {
            switch (actionType)
            {
                case "Create":
                    if (Json.At(kube, "template") is not JsonObject template)
                        throw new InvalidOperationException("the action has no kube.template");
                    spoke.Create(resource, Json.Str(kube, "namespace"), template);
                    break;
                case "Delete":
                    var target = Json.Str(kube, "name") ?? "";
                    if (!spoke.Delete(resource, Json.Str(kube, "namespace"), target))
                        throw new InvalidOperationException($"{SpokeResource.Plural(SpokeResource.Normalize(resource))} \"{target}\" not found");
                    break;
                default:
                    throw new InvalidOperationException($"action type \"{actionType}\" is not supported by the lab");
            }
        }
        catch (InvalidOperationException e)
        {
            error = e.Message;
        }
        Interlocked.Increment(ref _actionsExecuted);
        var now = _time.GetUtcNow();
        var condition = error is null
            ? Json.Condition("Completed", "True", "ActionDone", "Resource action is done.", now)
            : Json.Condition("Completed", "False", "ActionFailed", error, now);
        _status.Set(Kinds.ManagedClusterAction, ns, name, uid, new JsonObject { ["conditions"] = new JsonArray(condition) });
        _ = CollectLater(ns, name, uid);
    }

    private async Task CollectLater(string ns, string name, string uid)
    {
        try
        {
            await Task.Delay(_actionTtl, _time, _collect.Token);
            var current = await _hub.GetAsync(Kinds.ManagedClusterAction, ns, name, _collect.Token);
            if (current is not null && Json.Uid(current) == uid)
                await _hub.DeleteAsync(Kinds.ManagedClusterAction, ns, name, _collect.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            _log.LogDebug(e, "Collecting action {Namespace}/{Name} failed", ns, name);
        }
    }

    private void OnView(WatchEventType type, JsonNode obj)
    {
        var ns = Json.Namespace(obj);
        var name = Json.Name(obj);
        var key = ns + "/" + name;
        var uid = Json.Uid(obj);
        ViewInfo info;
        lock (_gate)
        {
            if (_views.Remove(key, out var old))
            {
                if (_viewsByTarget.TryGetValue((old.Namespace, old.Target), out var set)) set.Remove(key);
            }
            if (type == WatchEventType.Deleted)
            {
                _status.Forget(Kinds.ManagedClusterView, ns, name, uid);
                return;
            }
            var scope = Json.At(obj, "spec", "scope");
            var target = SpokeObjectKey.Of(Json.Str(scope, "resource") ?? Json.Str(scope, "kind") ?? "",
                Json.Str(scope, "namespace"), Json.Str(scope, "name") ?? "");
            info = new ViewInfo(ns, name, uid, target) { LastCondition = old?.Uid == uid ? old.LastCondition : null };
            _views[key] = info;
            if (!_viewsByTarget.TryGetValue((ns, target), out var byTarget))
                _viewsByTarget[(ns, target)] = byTarget = new HashSet<string>(StringComparer.Ordinal);
            byTarget.Add(key);
            if (old?.Uid != uid) _status.Observed(Kinds.ManagedClusterView, ns, name, uid, Json.At(obj, "status") as JsonObject);
            RefreshLocked(info);
        }
    }

    private void OnSpokeObjectChanged(SimulatedSpoke spoke, SpokeObjectKey key)
    {
        // Reading the spoke and wanting the status happen under one lock with the view's registration:
        // otherwise a refresh that read the spoke earlier could overwrite a newer one.
        lock (_gate)
        {
            if (!_viewsByTarget.TryGetValue((spoke.Name, key), out var set)) return;
            foreach (var k in set) RefreshLocked(_views[k]);
        }
    }

    private void RefreshLocked(ViewInfo view)
    {
        if (!_spokes.TryGetValue(view.Namespace, out var spoke) || !spoke.Reachable) return;
        var obj = spoke.Get(view.Target);
        var found = obj is not null;
        JsonObject condition;
        {
            var last = view.LastCondition;
            var sameState = last is not null && Json.Str(last, "status") == (found ? "True" : "False");
            if (sameState)
            {
                condition = last!;
            }
            else
            {
                var now = _time.GetUtcNow();
                condition = found
                    ? Json.Condition("Processing", "True", "GetResourceProcessing", "Watching resources successfully", now)
                    : Json.Condition("Processing", "False", "GetResourceFailed",
                        $"failed to get resource with err: {SpokeResource.Plural(view.Target.Resource)} \"{view.Target.Name}\" not found", now);
                view.LastCondition = condition;
            }
        }
        var status = new JsonObject { ["conditions"] = new JsonArray(condition.DeepClone()) };
        if (obj is not null) status["result"] = obj;
        _status.Set(Kinds.ManagedClusterView, view.Namespace, view.Name, view.Uid, status);
    }

    private void OnStatusWritten(KindInfo kind, string ns, string name, JsonObject status)
    {
        if (kind == Kinds.ManagedClusterView) ViewWritten?.Invoke(ns, name, status);
    }
}
