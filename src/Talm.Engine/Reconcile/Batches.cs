using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Engine.Model;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The running upgrade (Progressing True): the current batch's clusters move through the policies (or
/// ManifestWork templates) one at a time, each in the Placement of the policy it is on; a finished batch
/// empties the Placements and the next starts. The CGU's timeout is shared out among the batches left;
/// a batch that runs out of its share times out (and ends the CGU if it was a canary or batchTimeoutAction
/// is Abort).
/// </summary>
internal static partial class Batches
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan BatchCheck = TimeSpan.FromMinutes(5);

    /// <returns>False when the reconcile ended with an error (no status write).</returns>
    public static bool Run(ReconcileContext ctx, Condition progressing)
    {
        var p = ctx.Progress;
        var plan = ctx.Status.RemediationPlan ?? [];
        if (p.CurrentBatch == 0)
            p.CurrentBatch = 1;
        var requeue = p.CurrentBatchStartedAt is { } started ? started + BatchCheck - ctx.Now : TimeSpan.FromTicks(-1);
        ctx.Requeue(requeue < TimeSpan.Zero ? BatchCheck : requeue);

        if (p.CurrentBatchStartedAt is null)
        {
            Initialize(ctx, plan);
            if (Cleanup.ShouldDeleteObjects(ctx.Spec))
                ManifestWorks.CleanupPreviousBatch(ctx);
            p.CurrentBatchStartedAt = ctx.Now;
            ctx.Emit(CguEvents.BatchStarted(ctx.Status, ctx.Cgu));
        }

        var timeout = TimeSpan.FromMinutes(ctx.Spec.RemediationStrategy?.TimeoutMinutes ?? RemediationStrategy.DefaultTimeoutMinutes);
        Deviations.LookAgainWhenTimeRunsOut(ctx, (p.StartedAt ?? ctx.Now) + timeout);
        if (ctx.Now - (p.StartedAt ?? ctx.Now) > timeout)
        {
            var message = RolloutTypes.TimeoutMessage(ctx.Rollout);
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.TimedOut, message);
            ctx.SetCondition(ConditionTypes.Succeeded, false, ConditionReasons.TimedOut, message);
            TimeOutBatch(ctx);
            ctx.RequeueNow();
            return true;
        }

        if (p.CurrentBatch < plan.Count)
        {
            var (complete, soaking, advancing) = UpdateBatchProgress(ctx);
            if (ctx.Error is not null)
                return false;
            if (complete)
            {
                if (ctx.IsPolicyRollout)
                    PolicyResources.EmptyAll(ctx);
                p.CurrentBatchStartedAt = null;
                p.CurrentBatch++;
                ctx.RequeueNow();
                return true;
            }
            if (soaking)
                ctx.Requeue(Short);
            // A ManifestWork rollout needs one more reconcile when a cluster moved on: one to advance, one to create.
            if (advancing && !ctx.IsPolicyRollout)
                ctx.RequeueNow();
            RemediateBatch(ctx);
            if (ctx.Error is not null)
                return false;
            if (ctx.IsPolicyRollout)
                WaitingForPlacement(ctx, progressing);
            CheckBatchTimeout(ctx, plan, timeout);
            return ctx.Error is null;
        }

        var (done, lastSoaking, lastAdvancing) = UpdateBatchProgress(ctx);
        if (ctx.Error is not null)
            return false;
        if (done && ctx.IsPolicyRollout)
        {
            (done, lastSoaking) = PreviousBatchesComplete(ctx);
            if (ctx.Error is not null)
                return false;
        }
        if (done)
        {
            var message = RolloutTypes.CompletedMessage(ctx.Rollout);
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.Completed, message);
            ctx.SetCondition(ConditionTypes.Succeeded, true, ConditionReasons.Completed, message);
            ctx.RequeueNow();
            return true;
        }
        if (lastSoaking)
            ctx.Requeue(Short);
        if (lastAdvancing && !ctx.IsPolicyRollout)
            ctx.RequeueNow();
        RemediateBatch(ctx);
        return ctx.Error is null;
    }

    private static void Initialize(ReconcileContext ctx, List<List<string>> plan)
    {
        var progress = new Dictionary<string, ClusterRemediationProgress>(StringComparer.Ordinal);
        var index = ctx.Progress.CurrentBatch - 1;
        if (index < plan.Count)
        {
            foreach (var cluster in plan[index])
                progress[cluster] = new ClusterRemediationProgress { State = RemediationStates.NotStarted };
        }
        ctx.Progress.CurrentBatchRemediationProgress = progress;
    }

    /// <summary>updateCurrentBatchProgress: each cluster of the batch moved as far as it can go.</summary>
    private static (bool Complete, bool Soaking, bool Advancing) UpdateBatchProgress(ReconcileContext ctx)
    {
        var plan = ctx.Status.RemediationPlan ?? [];
        var index = ctx.Progress.CurrentBatch - 1;
        bool complete = true, soaking = false, advancing = false;
        if (index >= 0 && index < plan.Count)
        {
            foreach (var cluster in plan[index])
            {
                var (done, soak, moved) = UpdateCluster(ctx, cluster);
                soaking |= soak;
                advancing |= moved;
                if (ctx.Error is not null)
                    return (false, false, false);
                if (!done)
                    complete = false;
            }
        }
        if (complete)
            ctx.Emit(CguEvents.BatchSucceeded(ctx.Status, ctx.Cgu));
        return (complete, soaking, advancing);
    }

    /// <summary>updateClusterProgress: NotStarted starts at the first item; a cluster past the last item is complete.</summary>
    private static (bool Done, bool Soaking, bool Advancing) UpdateCluster(ReconcileContext ctx, string cluster)
    {
        var map = ctx.Progress.CurrentBatchRemediationProgress ??= new Dictionary<string, ClusterRemediationProgress>(StringComparer.Ordinal);
        var progress = map.GetValueOrDefault(cluster) ?? new ClusterRemediationProgress { State = RemediationStates.NotStarted };
        var policy = ctx.IsPolicyRollout;
        var size = policy ? ctx.Status.ManagedPoliciesForUpgrade?.Count ?? 0 : ctx.Spec.ManifestWorkTemplates?.Count ?? 0;
        switch (progress.State)
        {
            case RemediationStates.NotStarted:
                progress = policy
                    ? progress with { State = RemediationStates.InProgress, PolicyIndex = 0 }
                    : progress with { State = RemediationStates.InProgress, ManifestWorkIndex = 0 };
                ctx.Emit(CguEvents.ClusterStarted(ctx.Cgu, cluster));
                break;
            case RemediationStates.Completed:
                map[cluster] = progress;
                return (true, false, false);
        }
        map[cluster] = progress;

        var at = (policy ? progress.PolicyIndex : progress.ManifestWorkIndex) ?? 0;
        int next;
        var soaking = false;
        if (policy)
            (next, soaking) = NextNonCompliant(ctx, cluster, at);
        else
            next = ManifestWorks.Next(ctx, cluster, at);
        if (ctx.Error is not null)
            return (false, false, false);
        progress = map[cluster];
        var advancing = next > at;
        if (next >= size)
        {
            map[cluster] = progress with { State = RemediationStates.Completed, PolicyIndex = null, ManifestWorkIndex = null };
            ctx.Emit(CguEvents.ClusterSucceeded(ctx.Cgu, cluster));
            ClusterActions.AfterCompletion(ctx, cluster);
            // The cluster's views go; its actions RHACM removes once they ran.
            ctx.DeleteAllOf(Kinds.ManagedClusterView, cluster, HubNames.CguLabels(ctx.Cgu.Name, ctx.Cgu.Namespace));
            ctx.Hub.DeletedAllFor(Kinds.ManagedClusterView, cluster, ctx.Cgu);
            return (true, soaking, advancing);
        }
        map[cluster] = policy ? progress with { PolicyIndex = next } : progress with { ManifestWorkIndex = next };
        return (false, soaking, advancing);
    }

    /// <summary>getNextNonCompliantPolicyForCluster: the first policy from <paramref name="start"/> the cluster is not (or not long enough) compliant with.</summary>
    internal static (int Index, bool Soaking) NextNonCompliant(ReconcileContext ctx, string cluster, int start)
    {
        var policies = ctx.Status.ManagedPoliciesForUpgrade ?? [];
        var map = ctx.Progress.CurrentBatchRemediationProgress;
        var soaking = false;
        var i = start;
        for (; i < policies.Count; i++)
        {
            var reference = policies[i];
            var policy = ctx.Hub.Policy(reference.Namespace ?? "", reference.Name ?? "");
            if (policy is null)
            {
                ctx.Fail($"policies.policy.open-cluster-management.io \"{reference.Name}\" not found");
                return (i, soaking);
            }
            var state = ctx.Hub.ComplianceOf(policy).Of(cluster);
            if (state == Compliance.NotMatched)
                continue;
            var inBatch = map is not null && map.ContainsKey(cluster);
            if (state == Compliance.Compliant)
            {
                if (!inBatch)
                    continue;
                var (soak, error) = ShouldSoak(ctx, policy, map![cluster].FirstCompliantAt);
                if (error is not null)
                    continue;
                if (!soak)
                {
                    map[cluster] = map[cluster] with { FirstCompliantAt = null };
                    continue;
                }
                if (map[cluster].FirstCompliantAt is null)
                    map[cluster] = map[cluster] with { FirstCompliantAt = ctx.Now };
                soaking = true;
                break;
            }
            if (inBatch)
                map![cluster] = map[cluster] with { FirstCompliantAt = null };
            break;
        }
        return (i, soaking);
    }

    /// <summary>ran.openshift.io/soak-seconds: a compliant policy is held that long before the cluster moves on.</summary>
    private static (bool Soak, string? Error) ShouldSoak(ReconcileContext ctx, Api.Rhacm.Policy policy, DateTimeOffset? firstCompliantAt)
    {
        var text = policy.Metadata.Annotation(HubNames.SoakAnnotation);
        if (text is null)
            return (false, null);
        if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            return (false, $"soak annotation value {text} is invalid, value should be an integer equal or greater than 0");
        if (firstCompliantAt is null)
            return (true, null);
        return (ctx.Now - firstCompliantAt.Value <= TimeSpan.FromSeconds(seconds), null);
    }

    /// <summary>arePreviousBatchesCompleteForPolicies: every cluster of the earlier batches still compliant with every policy.</summary>
    private static (bool Complete, bool Soaking) PreviousBatchesComplete(ReconcileContext ctx)
    {
        var plan = ctx.Status.RemediationPlan ?? [];
        var count = ctx.Status.ManagedPoliciesForUpgrade?.Count ?? 0;
        for (var b = 0; b < plan.Count - 1; b++)
        {
            foreach (var cluster in plan[b])
            {
                var (next, soaking) = NextNonCompliant(ctx, cluster, 0);
                if (ctx.Error is not null || next < count)
                    return (false, soaking);
            }
        }
        return (true, false);
    }

    /// <summary>remediateCurrentBatch: Placements and InstallPlans, or ManifestWorks.</summary>
    private static void RemediateBatch(ReconcileContext ctx)
    {
        if (ctx.IsPolicyRollout)
        {
            PolicyResources.AddBatchClusters(ctx);
            if (ctx.Error is null)
                MonitoredObjects.ApproveInstallPlans(ctx);
        }
        else
        {
            ManifestWorks.Update(ctx);
        }
    }

    private static void WaitingForPlacement(ReconcileContext ctx, Condition progressing)
    {
        var message = PolicyResources.Unsatisfied(ctx);
        if (message is not null)
            ctx.SetCondition(ConditionTypes.Progressing, true, ConditionReasons.WaitingForPlacement, message);
        else if (progressing.Reason == ConditionReasons.WaitingForPlacement)
            ctx.SetCondition(ConditionTypes.Progressing, true, ConditionReasons.InProgress, RolloutTypes.InProgressMessage(ctx.Rollout));
    }

}
