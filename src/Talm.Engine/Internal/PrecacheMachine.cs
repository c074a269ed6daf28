using System.Text.Json;
using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

/// <summary>Step 6: the per-cluster pre-caching state machine and its conditions (§5b).</summary>
internal sealed class PrecacheMachine(DecisionContext ctx)
{
    private JsonElement? _ns, _sa, _crb, _cm, _job;
    private int _interval;

    public PhaseOutcome Run(List<string> plan, List<ManagedPolicy> policies)
    {
        var precaching = ctx.Status.Precaching;
        if (precaching?.Status is null)
        {
            var (spec, problem) = PrecacheSpecBuilder.Build(ctx, policies);
            if (problem is not null)
            {
                ctx.SetCondition(ConditionTypes.PrecacheSpecValid, false, ConditionReasons.PrecacheSpecIncomplete, Messages.PrecacheSpecIncomplete(problem));
                ctx.RequeueWithin(DecisionContext.PollInterval);
                return PhaseOutcome.InProgress;
            }
            ctx.SetCondition(ConditionTypes.PrecacheSpecValid, true, ConditionReasons.PrecacheSpecIsWellFormed, Messages.PrecacheSpecValid);
            var states = new Dictionary<string, string>(plan.Count, StringComparer.Ordinal);
            foreach (var c in plan)
                states[c] = PrecacheStates.NotStarted;
            precaching = ctx.Status.Precaching = new PrecachingStatus { Spec = spec, Status = states, Clusters = [] };
        }
        var map = precaching.Status!;
        _interval = Math.Clamp(6 * map.Count, 30, 300);
        var spec0 = precaching.Spec ?? new PrecachingSpec();

        List<(string Cluster, string State)>? changes = null;
        foreach (var (cluster, state) in map)
        {
            if (!PrecacheStates.IsProgressing(state))
                continue;
            var next = Step(cluster, state, spec0);
            if (next != state)
                (changes ??= []).Add((cluster, next));
        }
        // The map is shared with the snapshot: replace it, never write into it.
        if (changes is not null)
            precaching.Status = map = new Dictionary<string, string>(map, StringComparer.Ordinal);
        foreach (var (cluster, next) in changes ?? [])
        {
            map[cluster] = next;
            if (!PrecacheStates.IsProgressing(next))
            {
                ctx.Event(EngineEventKind.PrecacheFinished, "PrecacheFinished", $"Pre-caching on cluster {cluster} finished: {next}",
                    warning: next != PrecacheStates.Succeeded, cluster: cluster, detail: next);
            }
        }

        int progressing = 0, succeeded = 0, failed = 0;
        foreach (var s in map.Values)
        {
            if (PrecacheStates.IsProgressing(s))
                progressing++;
            else if (s == PrecacheStates.Succeeded)
                succeeded++;
            else
                failed++;
        }
        var total = map.Count;
        if (succeeded == total)
        {
            ctx.SetCondition(ConditionTypes.PrecachingSucceeded, true, ConditionReasons.PrecachingCompleted, Messages.PrecachingCompleted);
            return PhaseOutcome.Done;
        }
        if (failed == total)
        {
            ctx.SetCondition(ConditionTypes.PrecachingSucceeded, false, ConditionReasons.Failed, Messages.PrecachingFailedAll);
            return PhaseOutcome.AllFailed;
        }
        if (succeeded + failed == total)
        {
            ctx.SetCondition(ConditionTypes.PrecachingSucceeded, true, ConditionReasons.PartiallyDone, Messages.PrecachingFailed(failed));
            return PhaseOutcome.Done;
        }
        ctx.SetCondition(ConditionTypes.PrecachingSucceeded, false, ConditionReasons.InProgress, Messages.PrecachingInProgress(progressing));
        ctx.RequeueWithin(DecisionContext.PollInterval);
        return PhaseOutcome.InProgress;
    }

    public static HashSet<string> Succeeded(PrecachingStatus? precaching)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (c, s) in precaching?.Status ?? [])
        {
            if (s == PrecacheStates.Succeeded)
                set.Add(c);
        }
        return set;
    }

    private string Step(string cluster, string state, PrecachingSpec spec)
    {
        // A step that makes objects not there yet counts against the decision's steps; asking again
        // for what was already made (a view that exists but is not answered) does not.
        if (Writes(cluster, state) && !ctx.TryTakeStep())
            return state;
        switch (state)
        {
            case PrecacheStates.NotStarted:
                // Clear leftovers of an earlier run, keep watching the namespace until it is gone.
                DeleteViews(cluster, keepNamespaceView: true);
                DeleteCreateActions(cluster);
                CreateDeleteActions(cluster);
                EnsureView(cluster, Names.ViewPrecacheNamespace, "namespaces", Names.PrecacheNamespace, null);
                return PrecacheStates.PreparingToStart;
            case PrecacheStates.PreparingToStart:
                switch (ViewReader.Read(ctx.Index.View(cluster, Names.ViewPrecacheNamespace)))
                {
                    case ViewState.Absent:
                        return PrecacheStates.Starting;
                    case ViewState.Missing:
                        EnsureView(cluster, Names.ViewPrecacheNamespace, "namespaces", Names.PrecacheNamespace, null);
                        return state;
                    default:
                        return state;
                }
            case PrecacheStates.Starting:
                {
                    var ready = true;
                    ready &= Dependency(cluster, Names.ViewPrecacheNamespace, "namespaces", Names.PrecacheNamespace, null,
                        Names.PrecacheNsCreate, "namespace", () => _ns ??= SpokeObjects.Namespace(Names.PrecacheNamespace, privileged: true));
                    ready &= Dependency(cluster, Names.ViewPrecacheServiceAccount, "serviceaccounts", Names.PrecacheAgent, Names.PrecacheNamespace,
                        Names.PrecacheSaCreate, "serviceaccount", () => _sa ??= SpokeObjects.ServiceAccount(Names.PrecacheAgent, Names.PrecacheNamespace));
                    ready &= Dependency(cluster, Names.ViewPrecacheClusterRoleBinding, "clusterrolebindings", Names.PrecacheCrb, null,
                        Names.PrecacheCrbCreate, "clusterrolebinding", () => _crb ??= SpokeObjects.ClusterAdminBinding(Names.PrecacheCrb, Names.PrecacheAgent, Names.PrecacheNamespace));
                    ready &= Dependency(cluster, Names.ViewPrecacheSpecConfigMap, "configmaps", Names.PrecacheSpecConfigMap, Names.PrecacheNamespace,
                        Names.PrecacheSpecCmCreate, "configmap", () => _cm ??= PrecacheSpecBuilder.ConfigMap(spec));
                    if (!ready)
                        return state;
                    var jobView = ctx.Index.View(cluster, Names.ViewPrecacheJob);
                    switch (ViewReader.Read(jobView))
                    {
                        case ViewState.Missing or ViewState.Absent:
                            EnsureView(cluster, Names.ViewPrecacheJob, "jobs", Names.PrecacheJob, Names.PrecacheNamespace, force: true);
                            _job ??= PrecacheJob.Build(ctx.Snapshot.Settings.PrecacheImage ?? "", ctx.Spec.RemediationStrategy?.TimeoutMinutes ?? RemediationStrategy.DefaultTimeoutMinutes);
                            ctx.Create(SpokeObjects.CreateAction(cluster, Names.PrecacheJobCreate, "job", _job.Value, Names.PrecacheNamespace));
                            return state;
                        case ViewState.Present:
                            return FromJob(cluster, state, jobView);
                        default:
                            return state;
                    }
                }
            case PrecacheStates.Active:
                {
                    var jobView = ctx.Index.View(cluster, Names.ViewPrecacheJob);
                    return ViewReader.Read(jobView) == ViewState.Present ? FromJob(cluster, state, jobView) : state;
                }
            default:
                return state;
        }
    }

    private static readonly string[] StartingViews =
        [Names.ViewPrecacheNamespace, Names.ViewPrecacheServiceAccount, Names.ViewPrecacheClusterRoleBinding, Names.ViewPrecacheSpecConfigMap, Names.ViewPrecacheJob];

    private bool Writes(string cluster, string state) => state switch
    {
        PrecacheStates.NotStarted => true,
        PrecacheStates.PreparingToStart => ctx.Index.View(cluster, Names.ViewPrecacheNamespace) is null,
        PrecacheStates.Starting => Array.Exists(StartingViews, v => ctx.Index.View(cluster, v) is null),
        _ => false,
    };

    /// <returns>True when the view shows the resource exists; otherwise makes sure it is being created.</returns>
    private bool Dependency(string cluster, string view, string viewResource, string name, string? ns, string action, string actionResource, Func<JsonElement> template)
    {
        var read = ViewReader.Read(ctx.Index.View(cluster, view));
        if (read == ViewState.Present)
            return true;
        if (read is ViewState.Missing or ViewState.Absent)
        {
            ctx.Create(SpokeObjects.CreateAction(cluster, action, actionResource, template(), actionResource == "namespace" || actionResource == "clusterrolebinding" ? null : Names.PrecacheNamespace));
            EnsureView(cluster, view, viewResource, name, ns);
        }
        return false;
    }

    private void EnsureView(string cluster, string name, string resource, string resourceName, string? ns, bool force = false)
    {
        if (force || ctx.Index.View(cluster, name) is null)
            ctx.Create(SpokeObjects.View(cluster, name, resource, resourceName, ns, _interval));
    }

    private string FromJob(string cluster, string state, Api.Rhacm.ManagedClusterView? jobView)
    {
        switch (ViewReader.Job(jobView))
        {
            case JobPhase.Active:
                return PrecacheStates.Active;
            case JobPhase.Succeeded:
                DeleteViews(cluster, keepNamespaceView: false);
                CreateDeleteActions(cluster);
                return PrecacheStates.Succeeded;
            case JobPhase.DeadlineExceeded:
                return PrecacheStates.PrecacheTimeout;
            case JobPhase.Failed:
                return PrecacheStates.UnrecoverableError;
            default:
                return state;
        }
    }

    private void DeleteViews(string cluster, bool keepNamespaceView)
    {
        if (!keepNamespaceView)
            ctx.Delete(Kinds.ManagedClusterView, cluster, Names.ViewPrecacheNamespace);
        ctx.Delete(Kinds.ManagedClusterView, cluster, Names.ViewPrecacheSpecConfigMap);
        ctx.Delete(Kinds.ManagedClusterView, cluster, Names.ViewPrecacheServiceAccount);
        ctx.Delete(Kinds.ManagedClusterView, cluster, Names.ViewPrecacheClusterRoleBinding);
        ctx.Delete(Kinds.ManagedClusterView, cluster, Names.ViewPrecacheJob);
    }

    private void DeleteCreateActions(string cluster)
    {
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.PrecacheNsCreate);
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.PrecacheSaCreate);
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.PrecacheCrbCreate);
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.PrecacheSpecCmCreate);
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.PrecacheJobCreate);
    }

    private void CreateDeleteActions(string cluster)
    {
        ctx.Create(SpokeObjects.DeleteAction(cluster, Names.PrecacheNsDelete, "namespace", Names.PrecacheNamespace));
        ctx.Create(SpokeObjects.DeleteAction(cluster, Names.PrecacheCrbDelete, "clusterrolebinding", Names.PrecacheCrb));
    }

    /// <summary>On completion or deletion: stop every pre-cache view still watching a spoke.</summary>
    public void Cleanup()
    {
        foreach (var (cluster, state) in ctx.Status.Precaching?.Status ?? [])
        {
            if (state == PrecacheStates.Succeeded)
                continue;
            DeleteViews(cluster, keepNamespaceView: false);
            DeleteCreateActions(cluster);
        }
    }
}
