using Talm.Api.Cgu;

namespace Talm.Engine.Reconcile;

/// <summary>A batch's share of the CGU's timeout, and what its running out does (the reference's batch timeout handling).</summary>
internal static partial class Batches
{
    private static void CheckBatchTimeout(ReconcileContext ctx, List<List<string>> plan, TimeSpan timeout)
    {
        var p = ctx.Progress;
        if (p.CurrentBatchStartedAt is not { } batchStarted)
            return;
        var budget = BatchTimeout(timeout, plan.Count, p.CurrentBatch, batchStarted, p.StartedAt ?? batchStarted);
        if (ctx.Now - batchStarted <= budget)
        {
            Deviations.LookAgainWhenTimeRunsOut(ctx, batchStarted + budget);
            return;
        }
        ctx.RequeueNow();
        var canaries = ctx.Spec.RemediationStrategy?.Canaries ?? [];
        if (canaries.Count != 0 && p.CurrentBatch <= canaries.Count)
        {
            var message = RolloutTypes.TimeoutMessage(ctx.Rollout) + " on canary clusters";
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.TimedOut, message);
            ctx.SetCondition(ConditionTypes.Succeeded, false, ConditionReasons.TimedOut, message);
            return;
        }
        TimeOutBatch(ctx);
        if (ctx.Error is not null)
            return;
        if (ctx.Spec.AbortsOnBatchTimeout)
        {
            var message = RolloutTypes.TimeoutMessage(ctx.Rollout) + " on some clusters";
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.TimedOut, message);
            ctx.SetCondition(ConditionTypes.Succeeded, false, ConditionReasons.TimedOut, message);
            return;
        }
        p.CurrentBatchStartedAt = null;
        if (p.CurrentBatch < plan.Count)
            p.CurrentBatch++;
    }

    /// <summary>CalculateBatchTimeout: what is left of the timeout, shared among the batches left (all of it for the last).</summary>
    public static TimeSpan BatchTimeout(TimeSpan timeout, int batches, int currentBatch, DateTimeOffset batchStarted, DateTimeOffset cguStarted)
    {
        var remaining = timeout - (batchStarted - cguStarted);
        var remainingBatches = batches - (currentBatch - 1);
        return remainingBatches <= 1 ? remaining : remaining / remainingBatches;
    }

    /// <summary>handleBatchTimeout: the batch's unfinished clusters listed as timed out, their views and actions removed.</summary>
    private static void TimeOutBatch(ReconcileContext ctx)
    {
        var p = ctx.Progress;
        var plan = ctx.Status.RemediationPlan ?? [];
        if (p.CurrentBatchRemediationProgress is not { Count: > 0 } map || plan.Count == 0)
            return;
        var index = p.CurrentBatch - 1;
        if (index >= plan.Count)
            return;
        var any = false;
        foreach (var cluster in plan[index])
        {
            var progress = map.GetValueOrDefault(cluster);
            if (progress is not null && progress.State != RemediationStates.InProgress)
                continue;
            var result = new ClusterResult { Name = cluster, State = ClusterResultStates.TimedOut };
            any = true;
            if (progress is not null)
            {
                if (ctx.IsPolicyRollout)
                {
                    var policies = ctx.Status.ManagedPoliciesForUpgrade ?? [];
                    if (progress.PolicyIndex is { } pi && pi < policies.Count)
                        result = result with { CurrentPolicy = new PolicyStatusRef { Name = policies[pi].Name ?? "", Status = Compliance.NonCompliant } };
                }
                else
                {
                    result = result with { CurrentManifestWork = ManifestWorks.TimedOutWork(ctx, cluster, progress.ManifestWorkIndex) };
                }
            }
            Cleanup.MultiCloudObjects(ctx, cluster);
            (ctx.Status.Clusters ??= []).Add(result);
        }
        if (any)
            ctx.Emit(CguEvents.BatchTimedOut(ctx.Status, ctx.Cgu));
    }
}
