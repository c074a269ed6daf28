using Talm.Api.Cgu;

namespace Talm.Engine.Reconcile;

/// <summary>
/// Where talm deliberately differs from the reference (docs/compatibility.md lists each, and the
/// conformance runner applies each as a named override).
/// </summary>
internal static class Deviations
{
    /// <summary>
    /// When every cluster's backup (or pre-caching) failed, the reference reports "in progress" for ever;
    /// talm ends the CGU as it does when the failures leave nothing to remediate.
    /// </summary>
    /// <returns>True when the CGU was ended here.</returns>
    public static bool EndWhenAllFailed(ReconcileContext ctx, string conditionType, string message)
    {
        if (ctx.Condition(conditionType) is not { IsTrue: false, Reason: ConditionReasons.Failed })
            return false;
        Reconciler.End(ctx, message);
        return true;
    }

    /// <summary>
    /// The reference looks at a running batch 5 minutes after it started, then every 5 minutes (or when
    /// a policy's compliance changes), so it notices a timeout up to 5 minutes late; talm also looks
    /// when the CGU's or the batch's time runs out. The same status, written when the time is up.
    /// </summary>
    public static void LookAgainWhenTimeRunsOut(ReconcileContext ctx, DateTimeOffset deadline)
    {
        // The timeouts are exceeded strictly after the deadline.
        var left = deadline - ctx.Now + TimeSpan.FromSeconds(1);
        if (left > TimeSpan.Zero)
            ctx.RequeueNoLaterThan(left);
    }

    /// <summary>
    /// A canary that needs nothing is complete. The reference also counts as complete a canary its backup
    /// or pre-caching left out (it is no longer among the clusters), and labels it as done (afterCompletion);
    /// talm leaves such a canary out, like any other cluster whose backup or pre-caching failed.
    /// </summary>
    public static bool CanaryCountsAsComplete(string canary, List<string> clusters) => clusters.Contains(canary);
}
