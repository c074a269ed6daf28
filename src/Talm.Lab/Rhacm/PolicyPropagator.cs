using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Talm.Api.Meta;
using Talm.Lab.Hub;
using Talm.Lab.Spokes;

namespace Talm.Lab.Rhacm;

/// <summary>
/// The RHACM policy framework, reduced to what the hub needs: root policies are copied into the
/// namespace of every cluster their PlacementBindings select (child <c>&lt;root-ns&gt;.&lt;root-name&gt;</c>),
/// a binding with <c>bindingOverrides.remediationAction: enforce</c> makes the child enforce (a
/// <c>subFilter: restricted</c> binding only reaches clusters another binding already selects), an
/// enforced child makes the spoke remediate, and each root policy reports per-cluster compliance.
/// </summary>
internal sealed class PolicyPropagator
{
    public const string RootLabel = "policy.open-cluster-management.io/root-policy";
    private const string ClusterNameLabel = "policy.open-cluster-management.io/cluster-name";
    private const string ClusterNamespaceLabel = "policy.open-cluster-management.io/cluster-namespace";

    private readonly HubClient _hub;
    private readonly StatusWriter _status;
    private readonly IReadOnlyDictionary<string, SimulatedSpoke> _spokes;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, JsonNode> _roots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> _placements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> _bindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _clusters = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _dirty = new(0, 1);

    public PolicyPropagator(HubClient hub, StatusWriter status, IReadOnlyDictionary<string, SimulatedSpoke> spokes, ILogger log)
    {
        _hub = hub;
        _status = status;
        _spokes = spokes;
        _log = log;
        foreach (var spoke in spokes.Values) spoke.ComplianceChanged += _ => MarkDirty();
    }

    public void OnPolicy(k8s.WatchEventType type, JsonNode obj) =>
        Track(Json.Labels(obj).ContainsKey(RootLabel) ? _children : _roots, type, obj);

    public void OnPlacement(k8s.WatchEventType type, JsonNode obj) => Track(_placements, type, obj);

    public void OnBinding(k8s.WatchEventType type, JsonNode obj) => Track(_bindings, type, obj);

    public void OnCluster(k8s.WatchEventType type, JsonNode obj)
    {
        lock (_gate)
        {
            if (type == k8s.WatchEventType.Deleted) _clusters.Remove(Json.Name(obj));
            else _clusters[Json.Name(obj)] = Json.Labels(obj);
        }
        MarkDirty();
    }

    private void Track(Dictionary<string, JsonNode> map, k8s.WatchEventType type, JsonNode obj)
    {
        var key = Json.Namespace(obj) + "/" + Json.Name(obj);
        lock (_gate)
        {
            if (type == k8s.WatchEventType.Deleted) map.Remove(key);
            else map[key] = obj;
        }
        MarkDirty();
    }

    private void MarkDirty()
    {
        if (_dirty.CurrentCount == 0)
        {
            try { _dirty.Release(); }
            catch (SemaphoreFullException) { }
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await _dirty.WaitAsync(ct);
            // Let a burst of watch events settle into one pass.
            await Task.Delay(20, ct);
            try
            {
                await ConvergeAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogWarning(e, "Policy propagation pass failed; retrying");
                await Task.Delay(500, ct);
                MarkDirty();
            }
        }
    }

    private sealed record Child(string RootKey, string RootNs, string RootName, string Cluster, string Action, JsonNode Root);

    private async Task ConvergeAsync(CancellationToken ct)
    {
        List<Child> desired = [];
        List<(JsonNode Root, List<(string Binding, string Placement)> Placements, List<string> Clusters)> roots = [];
        Dictionary<string, JsonNode> existing;
        lock (_gate)
        {
            existing = new Dictionary<string, JsonNode>(_children, StringComparer.Ordinal);
            foreach (var root in _roots.Values)
            {
                var rootNs = Json.Namespace(root);
                var rootName = Json.Name(root);
                var rootKey = rootNs + "." + rootName;
                var selected = new SortedSet<string>(StringComparer.Ordinal);
                var enforced = new HashSet<string>(StringComparer.Ordinal);
                var restricted = new List<(HashSet<string> Clusters, bool Enforce)>();
                var placements = new List<(string, string)>();
                var disabled = Json.At(root, "spec", "disabled") is JsonValue dv && dv.TryGetValue<bool>(out var d) && d;
                foreach (var binding in _bindings.Values.Where(b => Json.Namespace(b) == rootNs && Binds(b, rootName)))
                {
                    var placementName = Json.Str(binding, "placementRef", "name") ?? "";
                    if (!_placements.TryGetValue(rootNs + "/" + placementName, out var placement)) continue;
                    placements.Add((Json.Name(binding), placementName));
                    var clusters = PlacementDecider.Decide(placement, _clusters).ToHashSet(StringComparer.Ordinal);
                    var enforce = string.Equals(Json.Str(binding, "bindingOverrides", "remediationAction"), "enforce", StringComparison.OrdinalIgnoreCase);
                    if (string.Equals(Json.Str(binding, "subFilter"), "restricted", StringComparison.OrdinalIgnoreCase))
                    {
                        restricted.Add((clusters, enforce));
                        continue;
                    }
                    selected.UnionWith(clusters);
                    if (enforce) enforced.UnionWith(clusters);
                }
                foreach (var (clusters, enforce) in restricted)
                {
                    if (enforce) enforced.UnionWith(clusters.Where(selected.Contains));
                }
                if (disabled) selected.Clear();
                var rootAction = Json.Str(root, "spec", "remediationAction") ?? "inform";
                foreach (var cluster in selected)
                    desired.Add(new Child(rootKey, rootNs, rootName, cluster, enforced.Contains(cluster) ? "enforce" : rootAction, root));
                roots.Add((root, placements, [.. selected]));
            }
        }

        // Children first, so that validation on the hub finds them before compliance is reported.
        var wanted = desired.ToDictionary(c => c.Cluster + "/" + c.RootKey, StringComparer.Ordinal);
        await Parallel.ForEachAsync(desired, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (child, token) =>
        {
            var key = child.Cluster + "/" + child.RootKey;
            if (!existing.TryGetValue(key, out var have))
            {
                await _hub.CreateAsync(Kinds.Policy, ChildObject(child), token);
            }
            else if (Json.Str(have, "spec", "remediationAction") != child.Action)
            {
                await _hub.PatchAsync(Kinds.Policy, child.Cluster, child.RootKey,
                    new JsonObject { ["spec"] = new JsonObject { ["remediationAction"] = child.Action } }, token);
            }
        });
        var stale = existing.Where(e => !wanted.ContainsKey(e.Key)).Select(e => e.Value).ToList();
        await Parallel.ForEachAsync(stale, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (child, token) =>
            await _hub.DeleteAsync(Kinds.Policy, Json.Namespace(child), Json.Name(child), token));

        foreach (var child in desired.Where(c => c.Action == "enforce"))
        {
            if (_spokes.TryGetValue(child.Cluster, out var spoke) && spoke.Reachable) spoke.Enforce(child.RootKey);
        }

        foreach (var (root, placements, clusters) in roots)
        {
            var rootKey = Json.Namespace(root) + "." + Json.Name(root);
            var entries = new JsonArray();
            var all = true;
            foreach (var cluster in clusters)
            {
                var compliant = Compliance(cluster, rootKey);
                all &= compliant == "Compliant";
                entries.Add(new JsonObject { ["clustername"] = cluster, ["clusternamespace"] = cluster, ["compliant"] = compliant });
                if (existing.TryGetValue(cluster + "/" + rootKey, out var child))
                    _status.Set(Kinds.Policy, cluster, rootKey, Json.Uid(child), new JsonObject { ["compliant"] = compliant });
            }
            var status = new JsonObject
            {
                ["placement"] = new JsonArray([.. placements.Select(p => (JsonNode)new JsonObject { ["placementBinding"] = p.Binding, ["placement"] = p.Placement })]),
                ["status"] = entries,
            };
            if (clusters.Count > 0) status["compliant"] = all ? "Compliant" : "NonCompliant";
            _status.Set(Kinds.Policy, Json.Namespace(root), Json.Name(root), Json.Uid(root), status);
        }
    }

    private string Compliance(string cluster, string rootKey)
    {
        if (!_spokes.TryGetValue(cluster, out var spoke)) return "Pending";
        return spoke.IsCompliant(rootKey) ? "Compliant" : "NonCompliant";
    }

    private static bool Binds(JsonNode binding, string policy) =>
        Json.Items(binding["subjects"]).Any(s => Json.Str(s, "kind") == "Policy" && Json.Str(s, "name") == policy);

    private static JsonObject ChildObject(Child c)
    {
        var spec = (JsonObject)(Json.At(c.Root, "spec")?.DeepClone() ?? new JsonObject());
        spec["remediationAction"] = c.Action;
        var labels = new JsonObject
        {
            [RootLabel] = c.RootKey,
            [ClusterNameLabel] = c.Cluster,
            [ClusterNamespaceLabel] = c.Cluster,
        };
        var annotations = Json.At(c.Root, "metadata", "annotations")?.DeepClone();
        var meta = new JsonObject { ["name"] = c.RootKey, ["namespace"] = c.Cluster, ["labels"] = labels };
        if (annotations is not null) meta["annotations"] = annotations;
        return new JsonObject { ["metadata"] = meta, ["spec"] = spec };
    }
}
