using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Engine.Model;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The working state of one decision, shaped after one reconcile of the reference: the CGU's status
/// evolved in place, the points where the reference writes it (<see cref="UpdateStatus"/>), the hub
/// changes and events in the order the reference makes them, when to look again, and an error that
/// ends the reconcile early.
/// </summary>
internal sealed class ReconcileContext
{
    private readonly List<string> _graphsNeeded = [];
    private ClusterGroupUpgradeStatus? _written;
    private TimeSpan? _requeue;
    private int _stepsLeft = -1;

    public ReconcileContext(HubSnapshot snapshot, DateTimeOffset now, INameSuffixSource suffixes)
    {
        Snapshot = snapshot;
        Cgu = snapshot.Cgu;
        Now = now;
        Suffixes = suffixes;
        Hub = new HubLookup(snapshot);
        Original = Cgu.Status;
        Status = (Cgu.Status ?? new ClusterGroupUpgradeStatus()).DeepCopy(shareClusterStateMaps: true);
        Status.Conditions ??= [];
        Status.Status ??= new UpgradeProgress();
    }

    public HubSnapshot Snapshot { get; }
    public ClusterGroupUpgrade Cgu { get; }
    public ClusterGroupUpgradeSpec Spec => Cgu.Spec;
    public DateTimeOffset Now { get; }
    public INameSuffixSource Suffixes { get; }
    public HubLookup Hub { get; }
    public ClusterGroupUpgradeStatus? Original { get; }
    public ClusterGroupUpgradeStatus Status { get; }
    public List<Condition> Conditions => Status.Conditions!;
    public UpgradeProgress Progress => Status.Status!;
    public List<Intent> Intents { get; } = [];
    public List<EngineEvent> Events { get; } = [];
    public string? Error { get; private set; }

    public RolloutType Rollout => RolloutTypes.Of(Spec);

    public bool IsPolicyRollout => Rollout == RolloutType.Policy;

    /// <summary>Set a condition with the reference's rule (a flipped condition moves to the end unless it is last).</summary>
    public void SetCondition(string type, bool status, string reason, string message) =>
        Api.Meta.Conditions.Set(Conditions, type, status, reason, message, Now);

    public Condition? Condition(string type) => Api.Meta.Conditions.Find(Conditions, type);

    /// <summary>The reference writes the status here; what is changed afterwards is written only by a later call.</summary>
    public void UpdateStatus() => _written = Status.DeepCopy(shareClusterStateMaps: false);

    /// <summary>The reconcile fails here (the reference returns this error): no status write after this point.</summary>
    public void Fail(string error) => Error ??= error;

    public void Requeue(TimeSpan? after) => _requeue = after;

    public void RequeueNow() => _requeue = TimeSpan.Zero;

    /// <summary>Look again no later than <paramref name="after"/>, whatever else is decided.</summary>
    public void RequeueNoLaterThan(TimeSpan after)
    {
        if (_requeueCap is null || after < _requeueCap)
            _requeueCap = after;
    }

    private TimeSpan? _requeueCap;

    /// <summary>The graph at <paramref name="url"/>, or null (and the decision asks for it) when the snapshot lacks it.</summary>
    public UpdateGraph? Graph(string url)
    {
        if (Snapshot.UpdateGraphs.TryGetValue(url, out var graph))
            return graph;
        if (!_graphsNeeded.Contains(url))
            _graphsNeeded.Add(url);
        return null;
    }

    public bool NeedsGraphs => _graphsNeeded.Count > 0;

    /// <summary>
    /// Whether one more cluster may take a backup or pre-cache step that writes spoke-side objects in
    /// this decision (<see cref="EngineSettings.ClusterStepsPerDecision"/>). When not, the decision asks
    /// to be followed at once and the cluster keeps its state.
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
        _stepsDeferred = true;
        return false;
    }

    private bool _stepsDeferred;

    public void Create(IKubeObject body) => Intents.Add(new ApplyIntent(ApplyMode.Create, body));

    public void Update(IKubeObject body) => Intents.Add(new ApplyIntent(ApplyMode.Update, body));

    public void Delete(KindInfo kind, string? ns, string name) => Intents.Add(new DeleteIntent(kind, ns, name));

    public void DeleteAllOf(KindInfo kind, string ns, IReadOnlyDictionary<string, string> labels) =>
        Intents.Add(new DeleteCollectionIntent(kind, ns, labels));

    public void Emit(EngineEvent evt) => Events.Add(evt);

    public Decision Finish()
    {
        var written = _written;
        if (written is not null)
            StatusShape.Normalize(written);
        var changed = written is not null && (Original is null || !StatusComparer.Same(Original, written));
        var requeue = _requeue;
        if (_stepsDeferred && Error is null)
            requeue = TimeSpan.Zero;
        if (_requeueCap is { } cap && (requeue is null || requeue > cap))
            requeue = cap;
        return new Decision
        {
            Status = written ?? Original ?? new ClusterGroupUpgradeStatus(),
            StatusChanged = changed,
            Intents = Intents,
            Events = Events,
            RequeueAfter = Error is null ? requeue : null,
            Error = Error,
            NeedsUpdateGraphs = [.. _graphsNeeded],
        };
    }
}
