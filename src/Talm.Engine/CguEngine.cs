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
        var selected = ClusterSelection.Run(ctx);
        if (selected is null)
            return;

        // Once batches run, the plan and the policy list are frozen in the status.
        if (ctx.Status.Status is { CurrentBatch: > 0 })
        {
            Batches.Run(ctx, PolicyValidation.FromStatus(ctx));
            return;
        }

        var policies = PolicyValidation.Run(ctx, selected);
        if (policies is null)
            return;

        var needing = RemediationPlan.Needing(selected, policies);
        var batchSize = ctx.Status.ComputedMaxConcurrency ?? selected.Count;
        var canaries = spec.RemediationStrategy?.Canaries;
        if (needing.Count == 0)
        {
            ctx.Status.RemediationPlan = null;
            Completion.Finish(ctx, ConditionReasons.Completed, true, ConditionReasons.Completed, Messages.AlreadyCompliant);
            return;
        }
        SetPlan(ctx, needing, canaries, batchSize);
        Placements.Ensure(ctx, policies, null);

        if (spec.IsPreCaching)
        {
            var outcome = new PrecacheMachine(ctx).Run(Flatten(ctx.Status.RemediationPlan!), policies);
            if (outcome == PhaseOutcome.InProgress)
                return;
            if (outcome == PhaseOutcome.AllFailed)
            {
                ctx.Status.RemediationPlan = null;
                Completion.Finish(ctx, ConditionReasons.Completed, false, ConditionReasons.Failed, Messages.NoClustersPrecachingFailed);
                return;
            }
            needing = Keep(needing, PrecacheMachine.Succeeded(ctx.Status.Precaching));
            SetPlan(ctx, needing, canaries, batchSize);
        }

        if (!spec.IsEnabled)
        {
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.NotEnabled, Messages.NotEnabled);
            return;
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
            return;
        }

        if (!BlockingCrs.Satisfied(ctx))
            return;

        if (spec.IsBackup)
        {
            var outcome = new BackupMachine(ctx).Run(Flatten(ctx.Status.RemediationPlan!));
            if (outcome == PhaseOutcome.InProgress)
                return;
            if (outcome == PhaseOutcome.AllFailed)
            {
                ctx.Status.RemediationPlan = null;
                Completion.Finish(ctx, ConditionReasons.Completed, false, ConditionReasons.Failed, Messages.NoClustersBackupFailed);
                return;
            }
            needing = Keep(needing, BackupMachine.Succeeded(ctx.Status.Backup));
            SetPlan(ctx, needing, canaries, batchSize);
            if (needing.Count == 0)
            {
                Completion.Finish(ctx, ConditionReasons.Completed, false, ConditionReasons.Failed, Messages.NoClustersBackupFailed);
                return;
            }
        }

        Batches.Start(ctx, ctx.Status.RemediationPlan!);
        Batches.Run(ctx, policies);
    }

    private static void SetPlan(DecisionContext ctx, List<string> clusters, IReadOnlyList<string>? canaries, int batchSize) =>
        ctx.Status.RemediationPlan = clusters.Count == 0 ? null : RemediationPlan.Build(clusters, canaries, batchSize);

    private static List<string> Flatten(List<List<string>> plan)
    {
        var all = new List<string>();
        foreach (var batch in plan)
            all.AddRange(batch);
        return all;
    }

    private static List<string> Keep(List<string> clusters, HashSet<string> allowed) => clusters.FindAll(allowed.Contains);
}
