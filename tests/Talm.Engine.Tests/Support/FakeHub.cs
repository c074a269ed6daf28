using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;

namespace Talm.Engine.Tests.Support;

/// <summary>
/// A hub in memory: stores what the engine's intents create, and plays RHACM and the spokes
/// (executes ManagedClusterActions, fills ManagedClusterViews, makes placed clusters compliant).
/// </summary>
public sealed class FakeHub
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, ManagedCluster> _clusters = new(StringComparer.Ordinal);
    private readonly List<RootPolicy> _policies = [];
    private readonly Dictionary<(string Kind, string Ns, string Name), IKubeObject> _objects = [];

    // When each object was created: RHACM runs actions in the order they arrive, and a dictionary's
    // order is not that once entries have been removed.
    private readonly Dictionary<(string Kind, string Ns, string Name), long> _createdAt = [];
    private long _creations;
    private readonly HashSet<(string Ns, string Name)> _executed = [];
    private readonly Dictionary<string, Spoke> _spokes = new(StringComparer.Ordinal);

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
    public List<Decision> Decisions { get; } = [];
    public List<ClusterMetadataIntent> ClusterChanges { get; } = [];

    /// <summary>How a spoke's Job of that name ends, and after how many RHACM ticks; default: succeeds after 1.</summary>
    public Dictionary<(string Cluster, string Job), (string Outcome, int Ticks)> JobScript { get; } = [];

    /// <summary>Ticks a placed non-compliant cluster needs to become compliant; -1 = never. Default 1.</summary>
    public Dictionary<string, int> RemediationTicks { get; } = new(StringComparer.Ordinal);

    /// <summary>Clusters whose klusterlet does not answer: actions are not executed and views not refreshed.</summary>
    public HashSet<string> Unreachable { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset Now => Clock.GetUtcNow();

    public ClusterGroupUpgradeStatus Status => Cgu.Status ?? new ClusterGroupUpgradeStatus();

    public FakeHub Cluster(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var all = new Dictionary<string, string>(labels ?? new Dictionary<string, string>()) { ["name"] = name };
        _clusters[name] = new ManagedCluster { Metadata = new ObjectMeta { Name = name, Labels = all } };
        _spokes[name] = new Spoke();
        return this;
    }

    /// <summary>A root policy in <paramref name="ns"/> with a child in each cluster named in <paramref name="compliance"/>.</summary>
    public RootPolicy Policy(string name, string ns, IDictionary<string, string?> compliance, JsonElement? template = null, string childAction = "inform")
    {
        var p = new RootPolicy(name, ns, new Dictionary<string, string?>(compliance), template, childAction);
        _policies.Add(p);
        return p;
    }

    public IEnumerable<IKubeObject> Objects => _objects.Values;

    public T? Get<T>(string ns, string name) where T : class, IKubeObject =>
        _objects.Values.OfType<T>().FirstOrDefault(o => o.Metadata.Namespace == ns && o.Metadata.Name == name);

    public void Put(IKubeObject o) => Store((o.Kind, o.Metadata.Namespace ?? "", o.Metadata.Name ?? ""), o);

    private void Store((string Kind, string Ns, string Name) key, IKubeObject o)
    {
        if (!_objects.ContainsKey(key))
            _createdAt[key] = ++_creations;
        _objects[key] = o;
    }

    public void Remove(string kind, string ns, string name) => _objects.Remove((kind, ns, name));

    public HubSnapshot Snapshot()
    {
        var policies = new List<Policy>();
        foreach (var p in _policies)
            policies.AddRange(p.Objects());
        return new HubSnapshot
        {
            Cgu = Cgu,
            ManagedClusters = [.. _clusters.Values],
            Policies = policies,
            Views = [.. _objects.Values.OfType<ManagedClusterView>()],
            Placements = [.. _objects.Values.OfType<Placement>()],
            PlacementBindings = [.. _objects.Values.OfType<PlacementBinding>()],
            OtherCgus = OtherCgus,
            PreCachingConfig = PreCachingConfig,
            Settings = Settings,
        };
    }

    /// <summary>The ManagedClusterActions on the hub now (the engine does not read them; tests do).</summary>
    public List<ManagedClusterAction> Actions() => [.. _objects.Values.OfType<ManagedClusterAction>()];

    /// <summary>One engine decision at the current time, applied to the hub like the operator would.</summary>
    public Decision Decide()
    {
        var d = Engine.Decide(Snapshot(), Now);
        Decisions.Add(d);
        Apply(d);
        return d;
    }

    public void Apply(Decision d)
    {
        var meta = Cgu.Metadata;
        // The operator writes the status between the two lists; here only their order matters.
        foreach (var intent in d.Intents.Concat(d.FollowUps))
        {
            switch (intent)
            {
                case ApplyIntent a:
                    var key = (a.Kind, a.Namespace ?? "", a.Name);
                    // Round-trip through JSON like a real API server would.
                    var stored = (IKubeObject)JsonSerializer.Deserialize(a.ToJson().ToJsonString(), a.Body.GetType(), KubeJson.Options)!;
                    if (a.Mode == ApplyMode.Update || !_objects.ContainsKey(key))
                    {
                        Store(key, stored);
                        if (a.Mode == ApplyMode.Create)
                            _executed.Remove((a.Namespace ?? "", a.Name));
                    }
                    break;
                case DeleteIntent del:
                    _objects.Remove((del.Kind, del.Namespace ?? "", del.Name));
                    if (del.Kind == Kinds.ManagedClusterAction.Kind)
                        _executed.Remove((del.Namespace ?? "", del.Name));
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
                    break;
            }
        }
        Cgu = Cgu with { Metadata = meta, Status = d.Status };
    }

    /// <summary>RHACM and the spokes act once: actions run, jobs progress, views refresh, placed clusters remediate.</summary>
    public void Tick()
    {
        foreach (var action in _objects.Values.OfType<ManagedClusterAction>()
                     .OrderBy(a => _createdAt.GetValueOrDefault((a.Kind, a.Metadata.Namespace ?? "", a.Metadata.Name ?? ""))).ToList())
        {
            var cluster = action.Metadata.Namespace!;
            if (Unreachable.Contains(cluster) || !_executed.Add((cluster, action.Metadata.Name!)))
                continue;
            var spoke = _spokes[cluster];
            var kube = action.Spec.Kube!;
            var resource = kube.Resource + "s";
            if (action.Spec.ActionType == ActionTypes.Delete)
            {
                if (resource == "namespaces")
                {
                    spoke.Resources.RemoveWhere(r => r.Ns == kube.Name || (r.Resource == "namespaces" && r.Name == kube.Name));
                    foreach (var job in spoke.Jobs.Keys.Where(k => k.Ns == kube.Name).ToList())
                        spoke.Jobs.Remove(job);
                }
                else
                {
                    spoke.Resources.Remove((resource, kube.Namespace ?? "", kube.Name ?? ""));
                }
                continue;
            }
            var template = kube.Template!.Value;
            var name = template.GetProperty("metadata").GetProperty("name").GetString()!;
            var ns = resource == "namespaces" || resource == "clusterrolebindings" ? "" : kube.Namespace ?? (template.GetProperty("metadata").TryGetProperty("namespace", out var n) ? n.GetString()! : "");
            if (ns.Length > 0 && !spoke.Resources.Contains(("namespaces", "", ns)))
                continue; // namespace missing on the spoke: the create fails
            if (resource == "jobs")
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
        }

        foreach (var view in _objects.Values.OfType<ManagedClusterView>().ToList())
        {
            var cluster = view.Metadata.Namespace!;
            if (Unreachable.Contains(cluster))
                continue;
            var spoke = _spokes[cluster];
            var scope = view.Spec.Scope;
            var ns = scope.Namespace ?? "";
            JsonNode? result = null;
            if (scope.Resource == "jobs")
            {
                if (spoke.Jobs.TryGetValue((ns, scope.Name!), out var job))
                    result = job.Observe();
            }
            else if (spoke.Resources.Contains((scope.Resource!, ns, scope.Name!)))
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

        foreach (var binding in _objects.Values.OfType<PlacementBinding>().ToList())
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

    /// <summary>Decide, let RHACM act, advance the clock; until the CGU is terminal or <paramref name="maxSteps"/>.</summary>
    public int RunUntilTerminal(TimeSpan step, int maxSteps, Action<FakeHub>? check = null)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            Decide();
            check?.Invoke(this);
            if (Conditions.Find(Status.Conditions, ConditionTypes.Succeeded) is not null)
                return i + 1;
            Tick();
            Clock.Advance(step);
        }
        return maxSteps;
    }

    public Condition? Condition(string type) => Conditions.Find(Status.Conditions, type);

    public sealed class RootPolicy(string name, string ns, Dictionary<string, string?> compliance, JsonElement? template, string childAction)
    {
        public string Name { get; } = name;
        public string Namespace { get; } = ns;
        public Dictionary<string, string?> Compliance { get; } = compliance;
        public Dictionary<(string, string), int> Remediating { get; } = [];
        public bool NoStatus { get; set; }
        public IReadOnlyList<PolicyDependency>? Dependencies { get; set; }

        public IEnumerable<Policy> Objects()
        {
            var spec = new PolicySpec
            {
                RemediationAction = "inform",
                PolicyTemplates = template is null ? [Fixtures.ConfigPolicyTemplate()] : [new PolicyTemplate { ObjectDefinition = template }],
                Dependencies = Dependencies,
            };
            yield return new Policy
            {
                Metadata = new ObjectMeta { Name = Name, Namespace = Namespace },
                Spec = spec,
                Status = NoStatus ? new PolicyStatus() : new PolicyStatus
                {
                    Status = [.. Compliance.Select(kv => new PolicyClusterStatus { ClusterName = kv.Key, ClusterNamespace = kv.Key, Compliant = kv.Value })],
                },
            };
            foreach (var cluster in Compliance.Keys)
            {
                yield return new Policy
                {
                    Metadata = new ObjectMeta { Name = $"{Namespace}.{Name}", Namespace = cluster },
                    Spec = spec with { RemediationAction = childAction },
                };
            }
        }
    }

    private sealed class Spoke
    {
        public HashSet<(string Resource, string Ns, string Name)> Resources { get; } = [];
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
