using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Api.Work;
using Talm.Engine.Model;

namespace Talm.Engine.Tests.Support;

/// <summary>
/// A hub in memory, on a fake clock: it feeds the engine snapshots, applies its decisions as the
/// operator does (intents, then the status through a JSON round trip like the API server, update
/// graphs fetched and the decision taken again), and plays RHACM and the spokes when told to
/// (<see cref="Tick"/>): actions run, views refresh, placed clusters remediate, ManifestWorks apply.
/// </summary>
public sealed class FakeHub
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, ManagedCluster> _clusters = new(StringComparer.Ordinal);
    private readonly List<RootPolicy> _policies = [];
    private readonly Dictionary<(string Kind, string Ns, string Name), IKubeObject> _objects = [];
    private readonly Dictionary<(string Kind, string Ns, string Name), long> _createdAt = [];
    private long _creations;
    private readonly HashSet<(string Ns, string Name)> _executed = [];
    private readonly Dictionary<string, Spoke> _spokes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UpdateGraph> _graphCache = new(StringComparer.Ordinal);

    public FakeHub(ClusterGroupUpgrade cgu, string suffix = "kuttl")
    {
        Cgu = cgu;
        Engine = new CguEngine(new FixedSuffix(suffix));
    }

    public FakeTimeProvider Clock { get; } = new(T0);
    public ClusterGroupUpgrade Cgu { get; set; }
    public CguEngine Engine { get; set; }

    public EngineSettings Settings { get; set; } = new() { RecoveryImage = "quay.io/talm/recovery:test", PrecacheImage = "quay.io/talm/precache:test" };

    public List<ClusterGroupUpgrade> OtherCgus { get; } = [];
    public PreCachingConfig? PreCachingConfig { get; set; }
    public Dictionary<string, string>? Overrides { get; set; }

    /// <summary>What the update service answers, by URL; a URL not here answers with an error.</summary>
    public Dictionary<string, UpdateGraph> UpdateService { get; } = new(StringComparer.Ordinal);

    /// <summary>The URLs the operator fetched for the engine, in order.</summary>
    public List<string> GraphRequests { get; } = [];

    public List<Decision> Decisions { get; } = [];
    public List<EngineEvent> Events { get; } = [];
    public List<ClusterMetadataIntent> ClusterChanges { get; } = [];

    /// <summary>Set once the finalizer was removed from a CGU being deleted.</summary>
    public bool Gone { get; private set; }

    /// <summary>How a spoke's Job of that name ends, and after how many RHACM ticks; default: succeeds after 1.</summary>
    public Dictionary<(string Cluster, string Job), (string Outcome, int Ticks)> JobScript { get; } = [];

    /// <summary>Ticks a placed non-compliant cluster needs to become compliant; -1 = never. Default 1.</summary>
    public Dictionary<string, int> RemediationTicks { get; } = new(StringComparer.Ordinal);

    /// <summary>Clusters whose ManifestWorks never become available.</summary>
    public HashSet<string> StuckWorks { get; } = new(StringComparer.Ordinal);

    /// <summary>RHACM removes a ManagedClusterAction once it ran successfully (the reference relies on it).</summary>
    public bool RemoveExecutedActions { get; set; } = true;

    /// <summary>Clusters whose klusterlet does not answer: actions not run, views not refreshed, not Available.</summary>
    public HashSet<string> Unreachable { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset Now => Clock.GetUtcNow();

    public ClusterGroupUpgradeStatus Status => Cgu.Status ?? new ClusterGroupUpgradeStatus();

    public UpgradeProgress Progress => Status.Status ?? new UpgradeProgress();

    public IReadOnlyDictionary<string, ManagedCluster> ManagedClusters => _clusters;

    public IEnumerable<RootPolicy> RootPolicies => _policies;

    public FakeHub Cluster(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var all = new Dictionary<string, string>(labels ?? new Dictionary<string, string>()) { ["name"] = name };
        _clusters[name] = new ManagedCluster { Metadata = new ObjectMeta { Name = name, Labels = all } };
        _spokes[name] = new Spoke();
        return this;
    }

    public FakeHub Clusters(params string[] names)
    {
        foreach (var n in names)
            Cluster(n);
        return this;
    }

    public void RemoveCluster(string name) => _clusters.Remove(name);

    /// <summary>A root policy in <paramref name="ns"/> with a child in each cluster named in <paramref name="compliance"/>.</summary>
    public RootPolicy Policy(string name, string ns, IDictionary<string, string?> compliance, params JsonElement[] templates)
    {
        var p = new RootPolicy(name, ns, new Dictionary<string, string?>(compliance), templates);
        _policies.Add(p);
        return p;
    }

    /// <summary>A root policy with every named cluster in the same state.</summary>
    public RootPolicy Policy(string name, string state, string[] clusters, params JsonElement[] templates) =>
        Policy(name, "ztp", clusters.ToDictionary(c => c, _ => (string?)state), templates);

    public RootPolicy Root(string name) => _policies.Single(p => p.Name == name);

    public IEnumerable<IKubeObject> Objects => _objects.Values;

    public IEnumerable<T> All<T>() where T : IKubeObject => _objects.Values.OfType<T>();

    public T? Get<T>(string ns, string name) where T : class, IKubeObject =>
        _objects.Values.OfType<T>().FirstOrDefault(o => o.Metadata.Namespace == ns && o.Metadata.Name == name);

    public void Put(IKubeObject o) => Store((o.Kind, o.Metadata.Namespace ?? "", o.Metadata.Name ?? ""), o);

    public void Remove(string kind, string ns, string name) => _objects.Remove((kind, ns, name));

    /// <summary>RHACM fills a view's status: the view keeps its metadata and spec when it exists.</summary>
    public void Fill(ManagedClusterView view)
    {
        var existing = Get<ManagedClusterView>(view.Metadata.Namespace!, view.Metadata.Name!);
        Put(existing is null ? view : existing with { Status = view.Status });
    }

    private void Store((string Kind, string Ns, string Name) key, IKubeObject o)
    {
        if (!_objects.ContainsKey(key))
            _createdAt[key] = ++_creations;
        _objects[key] = o;
    }

    /// <summary>Changes the CGU's status in place, as a test's "kubectl patch --subresource status" would.</summary>
    public void PatchStatus(Action<ClusterGroupUpgradeStatus> change)
    {
        var status = (Cgu.Status ?? new ClusterGroupUpgradeStatus()).DeepCopy();
        change(status);
        Cgu = Cgu with { Status = status };
    }

    public HubSnapshot Snapshot()
    {
        var policies = new List<Policy>();
        foreach (var p in _policies)
            policies.AddRange(p.Objects());
        policies.AddRange(All<Policy>());
        return new HubSnapshot
        {
            Cgu = Cgu,
            ManagedClusters = [.. _clusters.Values.Select(WithAvailability)],
            Policies = policies,
            Views = [.. All<ManagedClusterView>()],
            Actions = [.. All<ManagedClusterAction>()],
            Placements = [.. All<Placement>()],
            PlacementBindings = [.. All<PlacementBinding>()],
            ManifestWorks = [.. All<ManifestWork>()],
            ManifestWorkReplicaSets = [.. All<ManifestWorkReplicaSet>().Where(t => t.Metadata.Namespace == Cgu.Namespace)],
            OtherCgus = OtherCgus,
            PreCachingConfig = PreCachingConfig,
            Overrides = Overrides,
            UpdateGraphs = new Dictionary<string, UpdateGraph>(_graphCache, StringComparer.Ordinal),
            Settings = Settings,
        };
    }

    private ManagedCluster WithAvailability(ManagedCluster c) => c.Status is not null ? c : c with
    {
        Status = new ManagedClusterStatus
        {
            Conditions = [new Condition { Type = ManagedCluster.AvailableCondition, Status = Unreachable.Contains(c.Name) ? "Unknown" : "True" }],
        },
    };

    /// <summary>One reconcile at the current time, applied to the hub as the operator applies it.</summary>
    public Decision Decide()
    {
        if (Gone)
            throw new InvalidOperationException("the CGU was deleted");
        var d = Engine.Decide(Snapshot(), Now);
        if (d.NeedsUpdateGraphs.Count > 0)
        {
            foreach (var url in d.NeedsUpdateGraphs)
            {
                GraphRequests.Add(url);
                _graphCache[url] = UpdateService.TryGetValue(url, out var g)
                    ? g
                    : new UpdateGraph { Error = $"unable to request update graph on url {url}: no such host" };
            }
            d = Engine.Decide(Snapshot(), Now);
        }
        Decisions.Add(d);
        Events.AddRange(d.Events);
        Apply(d);
        return d;
    }

    public void Apply(Decision d)
    {
        var meta = Cgu.Metadata;
        foreach (var intent in d.Intents)
        {
            switch (intent)
            {
                case ApplyIntent a:
                    var key = (a.Kind, a.Namespace ?? "", a.Name);
                    // Round-trip through JSON like a real API server would.
                    var stored = (IKubeObject)JsonSerializer.Deserialize(a.ToJson().ToJsonString(), a.Body.GetType(), KubeJson.Options)!;
                    if (a.Mode == ApplyMode.Update || !_objects.ContainsKey(key))
                    {
                        if (a.Mode == ApplyMode.Create)
                            _executed.Remove((a.Namespace ?? "", a.Name));
                        if (a.Mode == ApplyMode.Update && _objects.TryGetValue(key, out var old))
                            stored = KeepStatus(old, stored);
                        Store(key, stored);
                    }
                    break;
                case DeleteIntent del:
                    _objects.Remove((del.Kind, del.Namespace ?? "", del.Name));
                    if (del.Kind == Kinds.ManagedClusterAction.Kind)
                        _executed.Remove((del.Namespace ?? "", del.Name));
                    break;
                case DeleteCollectionIntent dc:
                    foreach (var k in _objects.Where(p => p.Key.Kind == dc.KindInfo.Kind && p.Key.Ns == dc.Namespace && HasLabels(p.Value, dc.Labels)).Select(p => p.Key).ToList())
                    {
                        _objects.Remove(k);
                        _executed.Remove((k.Ns, k.Name));
                    }
                    break;
                case FinalizerIntent f:
                    var list = new List<string>(meta.Finalizers ?? []);
                    if (f.Add && !list.Contains(f.Finalizer))
                        list.Add(f.Finalizer);
                    if (!f.Add)
                        list.Remove(f.Finalizer);
                    meta = meta with { Finalizers = list };
                    break;
                case ClusterMetadataIntent c:
                    ClusterChanges.Add(c);
                    ApplyClusterMetadata(c);
                    break;
            }
        }
        var status = Cgu.Status;
        if (d.StatusChanged && meta.DeletionTimestamp is null)
            status = KubeJson.Deserialize<ClusterGroupUpgradeStatus>(KubeJson.Serialize(d.Status));
        Cgu = Cgu with { Metadata = meta, Status = status };
        if (meta.DeletionTimestamp is not null && meta.Finalizers is not { Count: > 0 })
            Gone = true;
    }

    /// <summary>Updates from the engine replace the spec; the status belongs to RHACM (Placement decisions and conditions).</summary>
    private static IKubeObject KeepStatus(IKubeObject old, IKubeObject updated) => (old, updated) switch
    {
        (Placement o, Placement n) => n with { Status = o.Status },
        (ManagedClusterView o, ManagedClusterView n) => n with { Status = o.Status },
        (ManifestWork o, ManifestWork n) => n with { Status = o.Status },
        _ => updated,
    };

    private static bool HasLabels(IKubeObject o, IReadOnlyDictionary<string, string> labels) =>
        labels.All(l => o.Metadata.Labels is { } have && have.TryGetValue(l.Key, out var v) && v == l.Value);

    private void ApplyClusterMetadata(ClusterMetadataIntent c)
    {
        if (!_clusters.TryGetValue(c.Cluster, out var cluster))
            return;
        var labels = new Dictionary<string, string>(cluster.Metadata.Labels ?? new Dictionary<string, string>());
        foreach (var (k, v) in c.AddLabels)
            labels[k] = v;
        foreach (var k in c.RemoveLabels)
            labels.Remove(k);
        var annotations = new Dictionary<string, string>(cluster.Metadata.Annotations ?? new Dictionary<string, string>());
        foreach (var (k, v) in c.AddAnnotations)
            annotations[k] = v;
        foreach (var k in c.RemoveAnnotations)
            annotations.Remove(k);
        _clusters[c.Cluster] = cluster with { Metadata = cluster.Metadata with { Labels = labels, Annotations = annotations } };
    }

    /// <summary>The CGU is deleted (kubectl delete): it carries a deletion timestamp until its finalizers are gone.</summary>
    public void Delete() => Cgu = Cgu with { Metadata = Cgu.Metadata with { DeletionTimestamp = Now } };

    /// <summary>RHACM and the spokes act once: actions run, jobs progress, views refresh, placed clusters remediate, works apply.</summary>
    public void Tick()
    {
        RunActions();
        RefreshViews();
        Remediate();
        ApplyWorks();
    }

    private static string Resource(string r) => r.EndsWith('s') ? r[..^1] : r;

    private void RunActions()
    {
        foreach (var action in All<ManagedClusterAction>()
                     .OrderBy(a => _createdAt.GetValueOrDefault((a.Kind, a.Metadata.Namespace ?? "", a.Metadata.Name ?? ""))).ToList())
        {
            var cluster = action.Metadata.Namespace!;
            if (Unreachable.Contains(cluster) || !_spokes.TryGetValue(cluster, out var spoke) || !_executed.Add((cluster, action.Metadata.Name!)))
                continue;
            if (Execute(spoke, cluster, action) && RemoveExecutedActions)
                Remove(action.Kind, cluster, action.Metadata.Name!);
        }
    }

    /// <returns>False when the action failed on the spoke (its namespace is not there).</returns>
    private bool Execute(Spoke spoke, string cluster, ManagedClusterAction action)
    {
        {
            var kube = action.Spec.Kube!;
            var resource = Resource(kube.Resource);
            if (action.Spec.ActionType == ActionTypes.Delete)
            {
                if (resource == "namespace")
                {
                    spoke.Resources.RemoveWhere(r => r.Ns == kube.Name || (r.Resource == "namespace" && r.Name == kube.Name));
                    foreach (var job in spoke.Jobs.Keys.Where(k => k.Ns == kube.Name).ToList())
                        spoke.Jobs.Remove(job);
                }
                else
                {
                    spoke.Resources.Remove((resource, kube.Namespace ?? "", kube.Name ?? ""));
                }
                return true;
            }
            if (action.Spec.ActionType == ActionTypes.Update)
            {
                spoke.Updated.Add((resource, kube.Namespace ?? "", action.Metadata.Name!));
                return true;
            }
            var template = kube.Template!.Value;
            var name = template.GetProperty("metadata").GetProperty("name").GetString()!;
            var ns = resource is "namespace" or "clusterrolebinding" ? "" : kube.Namespace ?? (template.GetProperty("metadata").TryGetProperty("namespace", out var n) ? n.GetString()! : "");
            if (ns.Length > 0 && !spoke.Resources.Contains(("namespace", "", ns)))
                return false; // the namespace is not there: the create fails
            if (resource == "job")
            {
                if (!spoke.Jobs.ContainsKey((ns, name)))
                {
                    var script = JobScript.TryGetValue((cluster, name), out var s) ? s : (Outcome: "Succeeded", Ticks: 1);
                    spoke.Jobs[(ns, name)] = new JobRun(script.Outcome, script.Ticks);
                }
            }
            else
            {
                spoke.Resources.Add((resource, ns, name));
            }
            return true;
        }
    }

    private void RefreshViews()
    {
        foreach (var view in All<ManagedClusterView>().ToList())
        {
            var cluster = view.Metadata.Namespace!;
            if (Unreachable.Contains(cluster) || !_spokes.TryGetValue(cluster, out var spoke))
                continue;
            var scope = view.Spec.Scope;
            var resource = Resource(scope.Resource ?? "");
            if (resource is not ("namespace" or "job" or "configmap" or "serviceaccount" or "clusterrolebinding"))
                continue; // views of Subscriptions and InstallPlans are the tests' to fill
            var ns = scope.Namespace ?? "";
            JsonNode? result = null;
            if (resource == "job")
            {
                if (spoke.Jobs.TryGetValue((ns, scope.Name!), out var job))
                    result = job.Observe();
            }
            else if (spoke.Resources.Contains((resource, ns, scope.Name!)))
            {
                result = new JsonObject { ["metadata"] = new JsonObject { ["name"] = scope.Name } };
            }
            var processing = result is null
                ? new Condition { Type = "Processing", Status = "False", Reason = "GetResourceFailed", Message = $"failed to get resource with err: {scope.Resource} \"{scope.Name}\" not found" }
                : new Condition { Type = "Processing", Status = "True", Reason = "GetResourceProcessing", Message = "Watching resources successfully" };
            Put(view with
            {
                Status = new ManagedClusterViewStatus
                {
                    Conditions = [processing],
                    Result = result is null ? null : JsonSerializer.SerializeToElement(result),
                },
            });
        }
    }

    private void Remediate()
    {
        foreach (var binding in All<PlacementBinding>().ToList())
        {
            var placement = Get<Placement>(binding.Metadata.Namespace!, binding.PlacementRef!.Name!);
            var values = placement?.Spec.Predicates?[0].RequiredClusterSelector?.LabelSelector?.MatchExpressions?[0].Values ?? [];
            foreach (var subject in binding.Subjects ?? [])
            {
                var policy = _policies.FirstOrDefault(p => p.Name == subject.Name && p.Namespace == binding.Metadata.Namespace);
                if (policy is null)
                    continue;
                foreach (var cluster in values)
                {
                    if (Unreachable.Contains(cluster) || !policy.Compliance.TryGetValue(cluster, out var state) || state == ComplianceStates.Compliant)
                        continue;
                    var key = (policy.Name, cluster);
                    var left = policy.Remediating.TryGetValue(key, out var l) ? l : RemediationTicks.GetValueOrDefault(cluster, 1);
                    if (left < 0)
                        continue;
                    left--;
                    policy.Remediating[key] = left;
                    if (left <= 0)
                        policy.Compliance[cluster] = ComplianceStates.Compliant;
                }
            }
        }
    }

    /// <summary>Each ManifestWork becomes applied and available with the feedback its expected values ask for.</summary>
    private void ApplyWorks()
    {
        foreach (var work in All<ManifestWork>().ToList())
        {
            var cluster = work.Metadata.Namespace!;
            if (Unreachable.Contains(cluster) || StuckWorks.Contains(cluster) || work.Status is not null)
                continue;
            Put(work with { Status = Works.Done(work.Metadata.Annotation("openshift-cluster-group-upgrades/expectedValues")) });
        }
    }

    /// <summary>Decide, let RHACM act, advance the clock; until the CGU has Succeeded (true or false) or <paramref name="maxSteps"/>.</summary>
    public int RunUntilTerminal(TimeSpan step, int maxSteps, Action<FakeHub>? check = null)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            Decide();
            check?.Invoke(this);
            if (Condition(ConditionTypes.Succeeded) is not null && Progress.CompletedAt is not null)
                return i + 1;
            Tick();
            Clock.Advance(step);
        }
        return maxSteps;
    }

    /// <summary>Decides until the CGU needs the world to change (no immediate requeue), at most <paramref name="max"/> times.</summary>
    public Decision Settle(int max = 10)
    {
        var d = Decide();
        for (var i = 1; i < max && d.RequeueAfter == TimeSpan.Zero && d.Error is null; i++)
            d = Decide();
        return d;
    }

    public Condition? Condition(string type) => Conditions.Find(Status.Conditions, type);

    /// <summary>What the spoke holds: resources as (resource, namespace, name), and job names.</summary>
    public IReadOnlySet<(string Resource, string Ns, string Name)> SpokeResources(string cluster) => _spokes[cluster].Resources;

    public IReadOnlySet<(string Resource, string Ns, string Name)> SpokeUpdates(string cluster) => _spokes[cluster].Updated;

    public sealed class RootPolicy(string name, string ns, Dictionary<string, string?> compliance, JsonElement[] templates)
    {
        public string Name { get; } = name;
        public string Namespace { get; } = ns;
        public Dictionary<string, string?> Compliance { get; } = compliance;
        public Dictionary<(string, string), int> Remediating { get; } = [];
        public JsonElement[] Templates { get; set; } = templates;
        public string ChildAction { get; set; } = "inform";
        public Dictionary<string, string> Annotations { get; } = new(StringComparer.Ordinal);
        public IReadOnlyList<PolicyDependency>? Dependencies { get; set; }

        /// <summary>The root has no status at all (every cluster counts as NonCompliant).</summary>
        public bool NoStatus { get; set; }

        /// <summary>Clusters that get a child policy without being in the root's status.</summary>
        public HashSet<string> ChildOnly { get; } = new(StringComparer.Ordinal);

        /// <summary>Clusters that have no child policy although the root's status lists them.</summary>
        public HashSet<string> NoChild { get; } = new(StringComparer.Ordinal);

        /// <summary>Replaces the child's templates (a hub template RHACM failed to resolve, say).</summary>
        public JsonElement[]? ChildTemplates { get; set; }

        public bool RootMissing { get; set; }

        public IEnumerable<Policy> Objects()
        {
            var spec = new PolicySpec
            {
                RemediationAction = "inform",
                PolicyTemplates = [.. (Templates.Length == 0 ? [Fixtures.ConfigPolicy(Fixtures.ConfigMap("cm"))] : Templates).Select(t => new PolicyTemplate { ObjectDefinition = t })],
                Dependencies = Dependencies,
            };
            if (!RootMissing)
            {
                yield return new Policy
                {
                    Metadata = new ObjectMeta { Name = Name, Namespace = Namespace, Annotations = Annotations.Count == 0 ? null : new Dictionary<string, string>(Annotations) },
                    Spec = spec,
                    Status = NoStatus ? new PolicyStatus() : new PolicyStatus
                    {
                        Status = [.. Compliance.Select(kv => new PolicyClusterStatus { ClusterName = kv.Key, ClusterNamespace = kv.Key, Compliant = kv.Value })],
                    },
                };
            }
            var childSpec = spec with
            {
                RemediationAction = ChildAction,
                PolicyTemplates = ChildTemplates is null ? spec.PolicyTemplates : [.. ChildTemplates.Select(t => new PolicyTemplate { ObjectDefinition = t })],
            };
            foreach (var cluster in Compliance.Keys.Concat(ChildOnly).Distinct().Where(c => !NoChild.Contains(c)))
            {
                yield return new Policy
                {
                    Metadata = new ObjectMeta
                    {
                        Name = $"{Namespace}.{Name}",
                        Namespace = cluster,
                        Labels = new Dictionary<string, string> { ["policy.open-cluster-management.io/root-policy"] = $"{Namespace}.{Name}" },
                    },
                    Spec = childSpec,
                };
            }
        }
    }

    private sealed class Spoke
    {
        public HashSet<(string Resource, string Ns, string Name)> Resources { get; } = [];
        public HashSet<(string Resource, string Ns, string Name)> Updated { get; } = [];
        public Dictionary<(string Ns, string Name), JobRun> Jobs { get; } = [];
    }

    private sealed class JobRun(string outcome, int ticks)
    {
        private int _left = ticks;

        public JsonNode Observe()
        {
            if (_left > 0 || outcome == "Hang")
            {
                _left--;
                return new JsonObject { ["status"] = new JsonObject { ["active"] = 1 } };
            }
            return outcome switch
            {
                "Succeeded" => new JsonObject { ["status"] = new JsonObject { ["succeeded"] = 1 } },
                _ => new JsonObject
                {
                    ["status"] = new JsonObject
                    {
                        ["failed"] = 1,
                        ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = outcome }),
                    },
                },
            };
        }
    }
}

public sealed class FixedSuffix(string suffix) : INameSuffixSource
{
    public string Next() => suffix;
}
