using System.Globalization;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

/// <summary>Step 11: run the remediation plan batch by batch, with overall and per-batch timeouts (§4.5).</summary>
internal static class Batches
{
    public static void Start(DecisionContext ctx, List<List<string>> plan)
    {
        foreach (var batch in plan)
        {
            foreach (var cluster in batch)
                ClusterActionsApplier.Apply(ctx, ctx.Spec.Actions?.BeforeEnable, cluster);
        }
        StartBatch(ctx, plan, 1);
        ctx.SetCondition(ConditionTypes.Progressing, true, ConditionReasons.InProgress, Messages.Remediating);
    }

    public static void Run(DecisionContext ctx, List<ManagedPolicy> policies)
    {
        var plan = ctx.Status.RemediationPlan ?? [];
        var p = ctx.Progress;
        var timeout = TimeSpan.FromMinutes(ctx.Spec.RemediationStrategy?.TimeoutMinutes ?? RemediationStrategy.DefaultTimeoutMinutes);
        var startedAt = p.StartedAt ?? ctx.Now;
        var canaryBatches = RemediationPlan.CanaryBatches(plan, ctx.Spec.RemediationStrategy?.Canaries);
        var results = ctx.Status.Clusters ??= [];

        if (ctx.Now - startedAt > timeout)
        {
            TimeOutCurrentBatch(ctx, policies);
            Completion.Finish(ctx, ConditionReasons.TimedOut, false, ConditionReasons.TimedOut, Messages.TookTooLong);
            return;
        }

        while (p.CurrentBatch >= 1 && p.CurrentBatch <= plan.Count)
        {
            var batch = plan[p.CurrentBatch - 1];
            var progress = p.CurrentBatchRemediationProgress ??= [];
            var done = true;
            foreach (var cluster in batch)
            {
                var cur = progress.GetValueOrDefault(cluster) ?? new ClusterRemediationProgress();
                if (cur.State == RemediationStates.Completed)
                    continue;
                var from = cur.State == RemediationStates.InProgress ? cur.PolicyIndex ?? 0 : 0;
                var next = NextNonCompliant(policies, cluster, from);
                if (next < 0)
                {
                    progress[cluster] = new ClusterRemediationProgress { State = RemediationStates.Completed };
                    results.Add(new ClusterResult { Name = cluster, State = ClusterResultStates.Complete });
                    ClusterActionsApplier.Apply(ctx, ctx.Spec.Actions?.AfterCompletion, cluster);
                    ctx.Event(EngineEventKind.ClusterCompleted, "ClusterCompleted", $"Cluster {cluster} is compliant with all the managed policies", cluster: cluster);
                    continue;
                }
                done = false;
                if (cur.State != RemediationStates.InProgress || cur.PolicyIndex != next)
                    progress[cluster] = new ClusterRemediationProgress { State = RemediationStates.InProgress, PolicyIndex = next };
            }

            var isLast = p.CurrentBatch == plan.Count;
            if (done)
            {
                if (!isLast)
                {
                    StartBatch(ctx, plan, p.CurrentBatch + 1);
                    continue;
                }
                FinishIfCompliant(ctx, policies, plan);
                break;
            }

            var batchStartedAt = p.CurrentBatchStartedAt ?? ctx.Now;
            var budget = BatchBudget(timeout, startedAt, batchStartedAt, plan.Count, p.CurrentBatch);
            if (ctx.Now - batchStartedAt <= budget)
            {
                ctx.RequeueWithin(Min(DecisionContext.PollInterval, batchStartedAt + budget - ctx.Now + TimeSpan.FromSeconds(1)));
                break;
            }

            var isCanary = p.CurrentBatch <= canaryBatches;
            TimeOutCurrentBatch(ctx, policies);
            ctx.Event(EngineEventKind.BatchTimedOut, "BatchTimedOut", string.Create(CultureInfo.InvariantCulture, $"Batch {p.CurrentBatch} timed out"),
                warning: true, detail: p.CurrentBatch.ToString(CultureInfo.InvariantCulture));
            if (isCanary)
            {
                Completion.Finish(ctx, ConditionReasons.TimedOut, false, ConditionReasons.TimedOut, Messages.TookTooLongCanary);
                break;
            }
            if (ctx.Spec.AbortsOnBatchTimeout)
            {
                Completion.Finish(ctx, ConditionReasons.TimedOut, false, ConditionReasons.TimedOut, Messages.TookTooLongSome);
                break;
            }
            if (isLast)
            {
                Completion.Finish(ctx, ConditionReasons.TimedOut, false, ConditionReasons.TimedOut, Messages.TookTooLong);
                break;
            }
            StartBatch(ctx, plan, p.CurrentBatch + 1);
        }

        if (!Completion.IsTerminal(ctx.Status))
        {
            ctx.RequeueWithin(Min(DecisionContext.PollInterval, startedAt + timeout - ctx.Now + TimeSpan.FromSeconds(1)));
            UpdatePlacements(ctx, policies);
        }
    }

    /// <summary>remaining / remainingBatches, where remaining = timeout − (batch start − CGU start); all of it for the last batch.</summary>
    public static TimeSpan BatchBudget(TimeSpan timeout, DateTimeOffset startedAt, DateTimeOffset batchStartedAt, int batches, int currentBatch)
    {
        var remaining = timeout - (batchStartedAt - startedAt);
        var remainingBatches = Math.Max(1, batches - (currentBatch - 1));
        return remaining / remainingBatches;
    }

    private static void StartBatch(DecisionContext ctx, List<List<string>> plan, int number)
    {
        var p = ctx.Progress;
        p.CurrentBatch = number;
        p.CurrentBatchStartedAt = ctx.Now;
        var progress = new Dictionary<string, ClusterRemediationProgress>(plan[number - 1].Count, StringComparer.Ordinal);
        foreach (var cluster in plan[number - 1])
            progress[cluster] = new ClusterRemediationProgress { State = RemediationStates.NotStarted };
        p.CurrentBatchRemediationProgress = progress;
        ctx.Event(EngineEventKind.BatchStarted, "BatchStarted",
            string.Create(CultureInfo.InvariantCulture, $"Batch {number} of {plan.Count} started with {plan[number - 1].Count} clusters"),
            detail: number.ToString(CultureInfo.InvariantCulture));
    }

    private static int NextNonCompliant(List<ManagedPolicy> policies, string cluster, int from)
    {
        for (var i = Math.Max(0, from); i < policies.Count; i++)
        {
            if (!policies[i].IsCompliant(cluster))
                return i;
        }
        return -1;
    }

    private static void TimeOutCurrentBatch(DecisionContext ctx, List<ManagedPolicy> policies)
    {
        var progress = ctx.Progress.CurrentBatchRemediationProgress;
        if (progress is null)
            return;
        var results = ctx.Status.Clusters ??= [];
        foreach (var (cluster, cur) in progress)
        {
            if (cur.State == RemediationStates.Completed)
                continue;
            var index = cur.PolicyIndex ?? Math.Max(0, NextNonCompliant(policies, cluster, 0));
            var policyName = index < policies.Count ? policies[index].Name : "";
            results.Add(new ClusterResult
            {
                Name = cluster,
                State = ClusterResultStates.TimedOut,
                CurrentPolicy = new PolicyStatusRef { Name = policyName, Status = ComplianceStates.NonCompliant },
            });
        }
    }

    /// <summary>Complete once the last batch is done and every cluster that completed is still compliant.</summary>
    private static void FinishIfCompliant(DecisionContext ctx, List<ManagedPolicy> policies, List<List<string>> plan)
    {
        var timedOut = false;
        var completed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in ctx.Status.Clusters ?? [])
        {
            if (r.State == ClusterResultStates.TimedOut)
                timedOut = true;
            else
                completed.Add(r.Name);
        }
        foreach (var batch in plan)
        {
            foreach (var cluster in batch)
            {
                if (!completed.Contains(cluster))
                    continue;
                foreach (var policy in policies)
                {
                    if (!policy.IsCompliant(cluster))
                        return; // an earlier batch drifted: wait (the overall timeout still applies)
                }
            }
        }
        if (timedOut)
            Completion.Finish(ctx, ConditionReasons.TimedOut, false, ConditionReasons.TimedOut, Messages.TookTooLong);
        else
            Completion.Finish(ctx, ConditionReasons.Completed, true, ConditionReasons.Completed, Messages.AllCompliant);
    }

    /// <summary>Running a batch = each in-progress cluster in the Placement of the policy it is on.</summary>
    private static void UpdatePlacements(DecisionContext ctx, List<ManagedPolicy> policies)
    {
        var perPolicy = new List<string>?[policies.Count];
        var plan = ctx.Status.RemediationPlan ?? [];
        var p = ctx.Progress;
        var progress = p.CurrentBatchRemediationProgress;
        if (progress is not null && p.CurrentBatch >= 1 && p.CurrentBatch <= plan.Count)
        {
            foreach (var cluster in plan[p.CurrentBatch - 1])
            {
                if (progress.TryGetValue(cluster, out var cur) && cur.State == RemediationStates.InProgress && cur.PolicyIndex is { } i && i < policies.Count)
                    (perPolicy[i] ??= []).Add(cluster);
            }
        }
        Placements.Ensure(ctx, policies, perPolicy);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
