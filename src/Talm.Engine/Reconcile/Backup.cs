using System.Globalization;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Engine.Model;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The backup of each cluster to be upgraded, before any batch starts: PreparingToStart → Starting →
/// Active → Succeeded, BackupTimeout or UnrecoverableError, driven through ManagedClusterActions and
/// read back through ManagedClusterViews. The whole phase has 1200 s (the Job's 480 s and 720 s grace).
/// </summary>
internal static class Backup
{
    public static void Reconcile(ReconcileContext ctx, List<string> clusters)
    {
        if (!ctx.Spec.IsBackup || clusters.Count == 0)
            return;
        var backup = ctx.Status.Backup ??= new BackupStatus { Status = [], Clusters = [], StartedAt = ctx.Now };
        backup.Status ??= [];
        if (ctx.Condition(ConditionTypes.BackupSucceeded) is { IsTrue: true })
            return;
        Trigger(ctx, backup, clusters);
    }

    /// <summary>The clusters, in order, whose backup succeeded (all of them when there was no backup).</summary>
    public static List<string> Succeeded(ClusterGroupUpgradeStatus status, List<string> clusters) =>
        status.Backup is null ? clusters : clusters.FindAll(c => status.Backup.Status?.GetValueOrDefault(c) == BackupStates.Succeeded);

    private static void Trigger(ReconcileContext ctx, BackupStatus backup, List<string> clusters)
    {
        var timedOut = ctx.Now - (backup.StartedAt ?? ctx.Now) > BackupJob.HubLimit;
        // The map is shared with the snapshot until it changes (10,000 entries are not copied per decision).
        var states = backup.Status!;
        Dictionary<string, string>? changed = null;
        Dictionary<string, BackupDetails>? details = null;
        foreach (var cluster in clusters)
        {
            var current = states.GetValueOrDefault(cluster) ?? BackupStates.PreparingToStart;
            if (BackupStates.IsFinal(current))
                continue;
            if (!BackupStates.IsProgressing(current))
            {
                ctx.Fail($"[triggerBackup] unknown state {current}");
                return;
            }
            var mark = ctx.Intents.Count;
            var next = current switch
            {
                BackupStates.PreparingToStart => Preparing(ctx, cluster),
                BackupStates.Starting => Starting(ctx, cluster, current),
                _ => Active(ctx, cluster),
            };
            if (timedOut && BackupStates.IsProgressing(next))
                next = BackupStates.BackupTimeout;
            // Ours: the Job's facts, read before the views that carry them are deleted.
            var facts = BackupStates.IsFinal(next) && next != current ? BackupFacts.Read(ctx.Hub.View(cluster, SpokeNames.ViewBackupJob)) : null;
            if (next == BackupStates.Succeeded)
            {
                SpokeResources.DeleteViews(ctx, cluster, SpokeNames.BackupViews);
                CreateDeleteActions(ctx, cluster);
            }
            if (ctx.Intents.Count > mark && !ctx.TryTakeStep())
            {
                // Over this decision's allowance: the cluster keeps its state, the next decision follows at once.
                ctx.Intents.RemoveRange(mark, ctx.Intents.Count - mark);
                next = current;
            }
            if (next != current || !states.ContainsKey(cluster))
            {
                changed ??= new Dictionary<string, string>(states, StringComparer.Ordinal);
                changed[cluster] = next;
                if (BackupStates.IsFinal(next))
                {
                    if (facts is not null && (details ?? backup.Details)?.Count is not >= BackupDetails.MaxClusters)
                    {
                        details ??= backup.Details is null ? new(StringComparer.Ordinal) : new(backup.Details, StringComparer.Ordinal);
                        details[cluster] = facts;
                    }
                    ctx.Emit(CguEvents.BackupFinished(ctx.Cgu, cluster, next, facts));
                }
            }
        }
        if (details is not null)
            backup.Details = details;
        if (changed is not null)
            backup.Status = states = changed;
        AllDone(ctx, states);
    }

    private static string Preparing(ReconcileContext ctx, string cluster)
    {
        SpokeResources.DeleteViews(ctx, cluster, SpokeNames.BackupViews);
        SpokeResources.DeleteActions(ctx, cluster, SpokeNames.BackupActions);
        if (string.IsNullOrEmpty(ctx.Snapshot.Settings.RecoveryImage))
            return BackupStates.PreparingToStart; // the reference: "can't find recovery image pull spec in environment"
        CreateDeleteActions(ctx, cluster);
        return BackupStates.Starting;
    }

    private static string Starting(ReconcileContext ctx, string cluster, string current)
    {
        var (condition, error) = SpokeResources.Starting(ctx, cluster, SpokeNames.ViewBackupJob, precache: false);
        if (error is not null || string.IsNullOrEmpty(ctx.Snapshot.Settings.RecoveryImage))
            return current;
        switch (condition)
        {
            case SpokeCondition.DependenciesNotPresent:
                SpokeResources.Create(ctx, SpokeResources.CreateNamespace(cluster, SpokeNames.BackupNsCreate, SpokeNames.BackupNamespace));
                SpokeResources.Create(ctx, SpokeResources.CreateServiceAccount(cluster, SpokeNames.BackupSaCreate, SpokeNames.BackupAgent, SpokeNames.BackupNamespace));
                SpokeResources.Create(ctx, SpokeResources.CreateClusterAdminBinding(cluster, SpokeNames.BackupCrbCreate, SpokeNames.BackupAgent, SpokeNames.BackupAgent, SpokeNames.BackupNamespace));
                SpokeResources.Create(ctx, SpokeResources.View(cluster, SpokeNames.ViewBackupNamespace, "namespaces", SpokeNames.BackupNamespace, null, null));
                return current;
            case SpokeCondition.NoJobView or SpokeCondition.NoJobFoundOnSpoke:
                SpokeResources.DeleteView(ctx, cluster, SpokeNames.ViewBackupJob);
                SpokeResources.Create(ctx, SpokeResources.CreateJob(cluster, SpokeNames.BackupJobCreate, SpokeNames.BackupNamespace, BackupJob.Build(ctx.Snapshot.Settings.RecoveryImage!)));
                SpokeResources.Create(ctx, JobView(cluster));
                return current;
            default:
                return Finished(condition) ?? current;
        }
    }

    private static string Active(ReconcileContext ctx, string cluster)
    {
        var (condition, error) = SpokeResources.Active(ctx, cluster, SpokeNames.ViewBackupJob);
        if (error is not null)
            return BackupStates.Active;
        return Finished(condition) ?? BackupStates.Active;
    }

    private static string? Finished(SpokeCondition condition) => condition switch
    {
        SpokeCondition.JobActive => BackupStates.Active,
        SpokeCondition.JobSucceeded => BackupStates.Succeeded,
        SpokeCondition.JobDeadline => BackupStates.BackupTimeout,
        SpokeCondition.JobBackoffLimitExceeded => BackupStates.UnrecoverableError,
        _ => null,
    };

    private static void CreateDeleteActions(ReconcileContext ctx, string cluster)
    {
        SpokeResources.Create(ctx, SpokeResources.Delete(cluster, SpokeNames.BackupNsDelete, "namespace", SpokeNames.BackupNamespace));
        SpokeResources.Create(ctx, SpokeResources.Delete(cluster, SpokeNames.BackupCrbDelete, "clusterrolebinding", SpokeNames.BackupAgent));
    }

    private static Api.Rhacm.ManagedClusterView JobView(string cluster) =>
        SpokeResources.View(cluster, SpokeNames.ViewBackupJob, "jobs", SpokeNames.BackupAgent, SpokeNames.BackupNamespace, null);

    /// <summary>checkAllBackupDone: BackupSuceeded from the counts of final and progressing states.</summary>
    private static void AllDone(ReconcileContext ctx, Dictionary<string, string> states)
    {
        int failed = 0, progressing = 0, succeeded = 0;
        foreach (var state in states.Values)
        {
            if (state == BackupStates.Succeeded) succeeded++;
            else if (BackupStates.IsProgressing(state)) progressing++;
            else failed++;
        }
        var total = states.Count;
        if (total == succeeded)
            ctx.SetCondition(ConditionTypes.BackupSucceeded, true, ConditionReasons.BackupCompleted, "Backup is completed for all clusters");
        else if (total == failed)
            ctx.SetCondition(ConditionTypes.BackupSucceeded, false, ConditionReasons.Failed, "Backup failed for all clusters");
        else if (total == failed + succeeded)
            ctx.SetCondition(ConditionTypes.BackupSucceeded, true, ConditionReasons.PartiallyDone, string.Create(CultureInfo.InvariantCulture, $"Backup failed for {failed} clusters"));
        else
            ctx.SetCondition(ConditionTypes.BackupSucceeded, false, ConditionReasons.InProgress, string.Create(CultureInfo.InvariantCulture, $"Backup in progress for {progressing} clusters"));
    }
}
