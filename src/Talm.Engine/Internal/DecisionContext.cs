using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

/// <summary>The working state of one decision: inputs, the status being evolved, and what to emit.</summary>
internal sealed class DecisionContext
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(30);

    private TimeSpan? _requeue;

    public DecisionContext(HubSnapshot snapshot, DateTimeOffset now, INameSuffixSource suffixes)
    {
        Snapshot = snapshot;
        Cgu = snapshot.Cgu;
        Now = now;
        Suffixes = suffixes;
        Index = new HubIndex(snapshot);
        // The per-cluster state maps stay shared with the snapshot; the state machines replace them when they change.
        Status = (Cgu.Status ?? new ClusterGroupUpgradeStatus()).DeepCopy(shareClusterStateMaps: true);
        Status.Conditions ??= [];
    }

    public HubSnapshot Snapshot { get; }
    public ClusterGroupUpgrade Cgu { get; }
    public ClusterGroupUpgradeSpec Spec => Cgu.Spec;
    public DateTimeOffset Now { get; }
    public INameSuffixSource Suffixes { get; }
    public HubIndex Index { get; }
    public ClusterGroupUpgradeStatus Status { get; }
    public List<Condition> Conditions => Status.Conditions!;
    public List<Intent> Intents { get; } = [];
    public List<Intent> FollowUps { get; } = [];
    public List<EngineEvent> Events { get; } = [];

    public UpgradeProgress Progress => Status.Status ??= new UpgradeProgress();

    public void SetCondition(string type, bool status, string reason, string message) =>
        Api.Meta.Conditions.Set(Conditions, type, status, reason, message, Now);

    /// <summary>Ask to be looked at again no later than <paramref name="after"/>.</summary>
    public void RequeueWithin(TimeSpan after)
    {
        if (after < TimeSpan.FromSeconds(1))
            after = TimeSpan.FromSeconds(1);
        if (_requeue is null || after < _requeue)
            _requeue = after;
    }

    /// <summary>Ask to be looked at again at once: this decision left work for the next one.</summary>
    public void RequeueNow() => _requeue = TimeSpan.Zero;

    private int _stepsLeft = -1;

    /// <summary>
    /// Whether one more cluster may start a step that writes spoke-side objects in this decision
    /// (<see cref="EngineSettings.ClusterStepsPerDecision"/>, backups and pre-caching together). When
    /// not, the decision asks to be followed at once and the cluster keeps its state.
    /// </summary>
    public bool TryTakeStep()
    {
        if (_stepsLeft < 0)
            _stepsLeft = Math.Max(0, Snapshot.Settings.ClusterStepsPerDecision);
        if (_stepsLeft > 0)
        {
            _stepsLeft--;
            return true;
        }
        RequeueNow();
        return false;
    }

    private readonly Dictionary<(string Kind, string? Ns, string? Name), int> _applied = [];

    public void Create(IKubeObject body) => Apply(ApplyMode.Create, body);

    public void Update(IKubeObject body) => Apply(ApplyMode.Update, body);

    /// <summary>One intent per Placement/PlacementBinding per decision: a later body replaces an earlier one (a create stays a create).</summary>
    private void Apply(ApplyMode mode, IKubeObject body)
    {
        // Only Placements and PlacementBindings can be asked for twice in one decision.
        if (body is not (Api.Rhacm.Placement or Api.Rhacm.PlacementBinding))
        {
            Intents.Add(new ApplyIntent(mode, body));
            return;
        }
        var key = (body.Kind, body.Metadata.Namespace, body.Metadata.Name);
        if (_applied.TryGetValue(key, out var at) && Intents[at] is ApplyIntent earlier)
        {
            Intents[at] = new ApplyIntent(earlier.Mode == ApplyMode.Create ? ApplyMode.Create : mode, body);
            return;
        }
        _applied[key] = Intents.Count;
        Intents.Add(new ApplyIntent(mode, body));
    }

    public void Delete(KindInfo kind, string? ns, string name) => Intents.Add(new DeleteIntent(kind, ns, name));

    /// <summary>A create to apply after the status write (see <see cref="Decision.FollowUps"/>).</summary>
    public void CreateAfterStatus(IKubeObject body) => FollowUps.Add(new ApplyIntent(ApplyMode.Create, body));

    /// <summary>A delete to apply after the status write (see <see cref="Decision.FollowUps"/>).</summary>
    public void DeleteAfterStatus(KindInfo kind, string? ns, string name) => FollowUps.Add(new DeleteIntent(kind, ns, name));

    public void Event(EngineEventKind kind, string reason, string message, bool warning = false, string? cluster = null, string? detail = null) =>
        Events.Add(new EngineEvent(kind, reason, message, warning) { Cluster = cluster, Detail = detail });

    public Decision Finish()
    {
        var before = Cgu.Status;
        var changed = before is null || !StatusComparer.Same(before, Status);
        return new Decision
        {
            Status = Status,
            StatusChanged = changed,
            Intents = Intents,
            FollowUps = FollowUps,
            Events = Events,
            RequeueAfter = _requeue,
        };
    }
}
