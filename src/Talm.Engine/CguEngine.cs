using Talm.Api.Cgu;
using Talm.Engine.Internal;
using Talm.Engine.Model;

namespace Talm.Engine;

/// <summary>
/// Decides, for one ClusterGroupUpgrade and a snapshot of the hub, the next status, the hub changes,
/// the events and when to look again (hub-protocol §2–§5b). Pure: no I/O, the time is passed in,
/// and the only randomness (generated name suffixes) comes from the injected source.
/// </summary>
public sealed class CguEngine(INameSuffixSource suffixes)
{
    public CguEngine()
        : this(new RandomNameSuffix(Random.Shared))
    {
    }

    public Decision Decide(HubSnapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var ctx = new DecisionContext(snapshot, now, suffixes);
        var meta = ctx.Cgu.Metadata;
        var hasFinalizer = meta.Finalizers?.Contains(ClusterGroupUpgrade.CleanupFinalizer) == true;

        if (meta.DeletionTimestamp is not null)
        {
            if (hasFinalizer)
            {
                // Placements go in any case; spoke-side leftovers only matter when the CGU never finished.
                Completion.Cleanup(ctx, backupToo: !Completion.IsTerminal(ctx.Status));
                ctx.Intents.Add(new FinalizerIntent(false, ClusterGroupUpgrade.CleanupFinalizer));
            }
            return ctx.Finish();
        }
        if (!hasFinalizer)
            ctx.Intents.Add(new FinalizerIntent(true, ClusterGroupUpgrade.CleanupFinalizer));
        if (Completion.IsTerminal(ctx.Status))
            return ctx.Finish();

        Reconcile(ctx);
        return ctx.Finish();
    }

    private static void Reconcile(DecisionContext ctx)
    {
        var spec = ctx.Spec;
        // Once batches run, the plan and the policy list are frozen in the status: a cluster or policy
        // that disappears now must not stall the CGU before its timeouts can end it.
        if (ctx.Status.Status is { CurrentBatch: > 0 })
        {
            if (spec.IsBackup)
                new BackupMachine(ctx).CleanUpAfterSuccesses();
            Batches.Run(ctx, PolicyValidation.FromStatus(ctx));
            return;
        }

        var selected = ClusterSelection.Run(ctx);
        if (selected is null)
            return;

        var policies = PolicyValidation.Run(ctx, selected.Value.Clusters, selected.Value.Slots);
        if (policies is null)
            return;
        var needingAny = RemediationPlan.Needing(selected.Value.Clusters, policies);
        var batchSize = ctx.Status.ComputedMaxConcurrency ?? selected.Value.Clusters.Count;
        var canaries = spec.RemediationStrategy?.Canaries;
        if (needingAny.Count == 0)
        {
            ctx.Status.RemediationPlan = null;
            Completion.Finish(ctx, ConditionReasons.Completed, true, ConditionReasons.Completed, Messages.AlreadyCompliant);
            return;
        }
        // Clusters whose pre-cache or backup already failed never re-enter the plan, even while others run.
        var needing = needingAny.FindAll(c => !HasFailed(ctx.Status, c));
        Placements.Ensure(ctx, policies, null);
        var (planned, startBatches) = Phases(ctx, policies, needing);
        ctx.Status.RemediationPlan = planned is null || planned.Count == 0 ? null : RemediationPlan.Build(planned, canaries, batchSize);
        if (startBatches)
        {
            Batches.Start(ctx, ctx.Status.RemediationPlan!);
            Batches.Run(ctx, policies);
        }
    }

    /// <summary>Steps 6–10: pre-caching, the enable gate, start, blocking CRs, backup.</summary>
    /// <returns>The clusters for the plan (null: no plan), and whether batches start now.</returns>
    private static (List<string>? Plan, bool StartBatches) Phases(DecisionContext ctx, List<ManagedPolicy> policies, List<string> needing)
    {
        var spec = ctx.Spec;
        if (spec.IsPreCaching)
        {
            switch (new PrecacheMachine(ctx).Run(needing, policies))
            {
                case PhaseOutcome.InProgress:
                    return (needing.FindAll(c => !HasFailed(ctx.Status, c)), false);
                case PhaseOutcome.AllFailed:
                    Completion.Finish(ctx, ConditionReasons.Completed, false, ConditionReasons.Failed, Messages.NoClustersPrecachingFailed);
                    return (null, false);
            }
            needing = Keep(needing, PrecacheMachine.Succeeded(ctx.Status.Precaching));
        }

        if (!spec.IsEnabled)
        {
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.NotEnabled, Messages.NotEnabled);
            return (needing, false);
        }

        var progress = ctx.Progress;
        if (progress.StartedAt is null)
        {
            progress.StartedAt = ctx.Now;
            ctx.Event(EngineEventKind.CguStarted, "CguStarted", $"ClusterGroupUpgrade {ctx.Cgu.Namespace}/{ctx.Cgu.Name} started");
        }
        var timeout = TimeSpan.FromMinutes(spec.RemediationStrategy?.TimeoutMinutes ?? RemediationStrategy.DefaultTimeoutMinutes);
        if (ctx.Now - progress.StartedAt.Value > timeout)
        {
            Completion.Finish(ctx, ConditionReasons.TimedOut, false, ConditionReasons.TimedOut, Messages.TookTooLong);
            return (needing, false);
        }

        if (!BlockingCrs.Satisfied(ctx))
            return (needing, false);

        if (spec.IsBackup)
        {
            switch (new BackupMachine(ctx).Run(needing))
            {
                case PhaseOutcome.InProgress:
                    return (needing.FindAll(c => !HasFailed(ctx.Status, c)), false);
                case PhaseOutcome.AllFailed:
                    Completion.Finish(ctx, ConditionReasons.Completed, false, ConditionReasons.Failed, Messages.NoClustersBackupFailed);
                    return (null, false);
            }
            needing = Keep(needing, BackupMachine.Succeeded(ctx.Status.Backup));
            if (needing.Count == 0)
            {
                Completion.Finish(ctx, ConditionReasons.Completed, false, ConditionReasons.Failed, Messages.NoClustersBackupFailed);
                return (null, false);
            }
        }
        return (needing, true);
    }

    private static bool HasFailed(ClusterGroupUpgradeStatus status, string cluster)
    {
        if (status.Backup?.Status is { } backup && backup.TryGetValue(cluster, out var b) && BackupStates.IsFinal(b) && b != BackupStates.Succeeded)
            return true;
        return status.Precaching?.Status is { } precache && precache.TryGetValue(cluster, out var p) && !PrecacheStates.IsProgressing(p) && p != PrecacheStates.Succeeded;
    }

    private static List<string> Keep(List<string> clusters, HashSet<string> allowed) => clusters.FindAll(allowed.Contains);
}
