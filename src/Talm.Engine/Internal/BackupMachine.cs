using System.Text.Json;
using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

internal enum PhaseOutcome
{
    InProgress,
    Done,
    AllFailed,
}

/// <summary>Step 10: the per-cluster backup state machine and the BackupSuceeded condition (§5).</summary>
internal sealed class BackupMachine(DecisionContext ctx)
{
    private JsonElement? _nsTemplate, _saTemplate, _crbTemplate, _jobTemplate;
    private HubIndex.ViewColumn? _nsViews, _jobViews;

    private HubIndex.ViewColumn NsViews => _nsViews ??= ctx.Index.ViewsNamed(Names.ViewBackupNamespace);

    private HubIndex.ViewColumn JobViews => _jobViews ??= ctx.Index.ViewsNamed(Names.ViewBackupJob);

    /// <summary>Advances every cluster's backup and sets BackupSuceeded.</summary>
    public PhaseOutcome Run(List<string> plan)
    {
        var backup = ctx.Status.Backup;
        if (backup?.Status is null)
        {
            if (string.IsNullOrEmpty(ctx.Snapshot.Settings.RecoveryImage))
            {
                ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.NotStarted, Messages.BackupInProgressProgressing);
                ctx.SetCondition(ConditionTypes.BackupSucceeded, false, ConditionReasons.RecoveryImageMissing, Messages.RecoveryImageMissing);
                ctx.RequeueWithin(DecisionContext.PollInterval);
                return PhaseOutcome.InProgress;
            }
            var states = new Dictionary<string, string>(plan.Count, StringComparer.Ordinal);
            foreach (var c in plan)
                states[c] = BackupStates.PreparingToStart;
            backup = ctx.Status.Backup = new BackupStatus { StartedAt = ctx.Now, Status = states, Clusters = [] };
        }
        var map = backup.Status!;
        var startedAt = backup.StartedAt ?? ctx.Now;
        var limitPassed = ctx.Now - startedAt >= BackupJob.HubLimit;
        var canStartJobs = !string.IsNullOrEmpty(ctx.Snapshot.Settings.RecoveryImage);
        // States change after the walk: a dictionary cannot be written while enumerated.
        List<(string Cluster, string State)>? changes = null;
        var lastSlot = -1;
        foreach (var (cluster, state) in map)
        {
            if (state == BackupStates.Succeeded)
            {
                CleanUpAfterSuccess(cluster, ref lastSlot);
                continue;
            }
            if (BackupStates.IsFinal(state))
                continue;
            var next = Step(cluster, state, canStartJobs, ref lastSlot);
            if (!BackupStates.IsFinal(next) && limitPassed)
                next = BackupStates.BackupTimeout;
            if (next != state)
                (changes ??= []).Add((cluster, next));
        }
        if (changes is not null)
            backup.Status = map = new Dictionary<string, string>(map, StringComparer.Ordinal);
        foreach (var (cluster, next) in changes ?? [])
        {
            map[cluster] = next;
            if (BackupStates.IsFinal(next))
            {
                ctx.Event(EngineEventKind.BackupFinished, "BackupFinished", $"Backup of cluster {cluster} finished: {next}",
                    warning: next != BackupStates.Succeeded, cluster: cluster, detail: next);
            }
        }

        int progressing = 0, succeeded = 0, failed = 0;
        foreach (var s in map.Values)
        {
            if (BackupStates.IsProgressing(s))
                progressing++;
            else if (s == BackupStates.Succeeded)
                succeeded++;
            else
                failed++;
        }
        var total = map.Count;
        if (succeeded == total)
        {
            ctx.SetCondition(ConditionTypes.BackupSucceeded, true, ConditionReasons.BackupCompleted, Messages.BackupCompleted);
            return PhaseOutcome.Done;
        }
        if (failed == total)
        {
            ctx.SetCondition(ConditionTypes.BackupSucceeded, false, ConditionReasons.Failed, Messages.BackupFailedAll);
            return PhaseOutcome.AllFailed;
        }
        if (succeeded + failed == total)
        {
            ctx.SetCondition(ConditionTypes.BackupSucceeded, true, ConditionReasons.PartiallyDone, Messages.BackupFailed(failed));
            return PhaseOutcome.Done;
        }
        ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.NotStarted, Messages.BackupInProgressProgressing);
        ctx.SetCondition(ConditionTypes.BackupSucceeded, false, ConditionReasons.InProgress, Messages.BackupInProgress(progressing));
        ctx.RequeueWithin(Min(DecisionContext.PollInterval, startedAt + BackupJob.HubLimit - ctx.Now));
        return PhaseOutcome.InProgress;
    }

    /// <summary>Clusters whose backup succeeded (the only ones that may be upgraded).</summary>
    public static HashSet<string> Succeeded(BackupStatus? backup)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (c, s) in backup?.Status ?? [])
        {
            if (s == BackupStates.Succeeded)
                set.Add(c);
        }
        return set;
    }

    /// <summary>
    /// After the backup phase (batches running): the views of clusters whose backup succeeded are
    /// removed if a lost follow-up left them behind.
    /// </summary>
    public void CleanUpAfterSuccesses()
    {
        if (ctx.Status.Backup?.Status is not { } map)
            return;
        var lastSlot = -1;
        foreach (var (cluster, state) in map)
        {
            if (state == BackupStates.Succeeded)
                CleanUpAfterSuccess(cluster, ref lastSlot);
        }
    }

    /// <summary>
    /// A succeeded cluster whose views still exist gets its success clean-up (again): it runs after
    /// the status write, so a crash or an error in between must not leave the views for good.
    /// </summary>
    private void CleanUpAfterSuccess(string cluster, ref int lastSlot)
    {
        var slot = ctx.Index.SlotOf(cluster, ref lastSlot);
        if (NsViews.At(slot, cluster) is null && JobViews.At(slot, cluster) is null)
            return;
        CleanUpAfterStatus(cluster);
    }

    /// <param name="lastSlot">The slot of the cluster looked at before, to find this one's without hashing when the map follows the selection.</param>
    private string Step(string cluster, string state, bool canStartJobs, ref int lastSlot)
    {
        switch (state)
        {
            case BackupStates.PreparingToStart:
                if (!ctx.TryTakeStep())
                    return state;
                DeleteViews(cluster);
                DeleteCreateActions(cluster);
                CreateDeleteActions(cluster);
                return BackupStates.Starting;
            case BackupStates.Starting:
                {
                    var slot = ctx.Index.SlotOf(cluster, ref lastSlot);
                    var ns = ViewReader.Read(NsViews.At(slot, cluster));
                    if (ns is ViewState.Missing or ViewState.Absent)
                    {
                        // Absent: the view was made and the actions with it; asking again costs no write.
                        if (ns == ViewState.Missing && !ctx.TryTakeStep())
                            return state;
                        _nsTemplate ??= SpokeObjects.Namespace(Names.BackupNamespace, privileged: true);
                        _saTemplate ??= SpokeObjects.ServiceAccount(Names.BackupAgent, Names.BackupNamespace);
                        _crbTemplate ??= SpokeObjects.ClusterAdminBinding(Names.BackupAgent, Names.BackupAgent, Names.BackupNamespace);
                        ctx.Create(SpokeObjects.CreateAction(cluster, Names.BackupNsCreate, "namespace", _nsTemplate.Value));
                        ctx.Create(SpokeObjects.CreateAction(cluster, Names.BackupSaCreate, "serviceaccount", _saTemplate.Value));
                        ctx.Create(SpokeObjects.CreateAction(cluster, Names.BackupCrbCreate, "clusterrolebinding", _crbTemplate.Value));
                        ctx.Create(SpokeObjects.View(cluster, Names.ViewBackupNamespace, "namespaces", Names.BackupNamespace));
                        return state;
                    }
                    if (ns == ViewState.Unknown)
                        return state;
                    var jobView = JobViews.At(slot, cluster);
                    var job = ViewReader.Read(jobView);
                    if (job is ViewState.Missing or ViewState.Absent)
                    {
                        if (canStartJobs && (job == ViewState.Absent || ctx.TryTakeStep()))
                        {
                            _jobTemplate ??= BackupJob.Build(ctx.Snapshot.Settings.RecoveryImage!);
                            ctx.Create(SpokeObjects.View(cluster, Names.ViewBackupJob, "jobs", Names.BackupAgent, Names.BackupNamespace));
                            ctx.Create(SpokeObjects.CreateAction(cluster, Names.BackupJobCreate, "job", _jobTemplate.Value, Names.BackupNamespace));
                        }
                        return state;
                    }
                    return job == ViewState.Present ? FromJob(cluster, state, jobView) : state;
                }
            case BackupStates.Active:
                {
                    var jobView = JobViews.At(ctx.Index.SlotOf(cluster, ref lastSlot), cluster);
                    return ViewReader.Read(jobView) == ViewState.Present ? FromJob(cluster, state, jobView) : state;
                }
            default:
                return state;
        }
    }

    private string FromJob(string cluster, string state, Api.Rhacm.ManagedClusterView? jobView)
    {
        switch (ViewReader.Job(jobView))
        {
            case JobPhase.Active:
                return BackupStates.Active;
            case JobPhase.Succeeded:
                CleanUpAfterStatus(cluster);
                return BackupStates.Succeeded;
            case JobPhase.DeadlineExceeded:
                return BackupStates.BackupTimeout;
            case JobPhase.Failed:
                return BackupStates.UnrecoverableError;
            default:
                return state;
        }
    }

    /// <summary>
    /// §5.4 on reaching Succeeded, as follow-ups: the delete actions first and the views last, so
    /// views still present mean the clean-up is not finished (see <see cref="CleanUpAfterSuccess"/>).
    /// </summary>
    private void CleanUpAfterStatus(string cluster)
    {
        CreateDeleteActions(cluster, afterStatus: true);
        DeleteViews(cluster, afterStatus: true);
    }

    private void DeleteViews(string cluster, bool afterStatus = false)
    {
        foreach (var view in (string[])[Names.ViewBackupJob, Names.ViewBackupNamespace])
        {
            if (afterStatus)
                ctx.DeleteAfterStatus(Kinds.ManagedClusterView, cluster, view);
            else
                ctx.Delete(Kinds.ManagedClusterView, cluster, view);
        }
    }

    private void DeleteCreateActions(string cluster)
    {
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.BackupNsCreate);
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.BackupSaCreate);
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.BackupCrbCreate);
        ctx.Delete(Kinds.ManagedClusterAction, cluster, Names.BackupJobCreate);
    }

    private void CreateDeleteActions(string cluster, bool afterStatus = false)
    {
        foreach (var action in (IKubeObject[])[
                     SpokeObjects.DeleteAction(cluster, Names.BackupNsDelete, "namespace", Names.BackupNamespace),
                     SpokeObjects.DeleteAction(cluster, Names.BackupCrbDelete, "clusterrolebinding", Names.BackupAgent)])
        {
            if (afterStatus)
                ctx.CreateAfterStatus(action);
            else
                ctx.Create(action);
        }
    }

    /// <summary>§5.5: for each cluster whose backup did not succeed, remove what talm put there.</summary>
    public void Cleanup()
    {
        foreach (var (cluster, state) in ctx.Status.Backup?.Status ?? [])
        {
            if (state == BackupStates.Succeeded)
                continue;
            DeleteViews(cluster);
            DeleteCreateActions(cluster);
            CreateDeleteActions(cluster);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
