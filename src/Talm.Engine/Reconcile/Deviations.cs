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
    /// A canary that needs nothing is complete. The reference also counts as complete a canary its backup
    /// or pre-caching left out (it is no longer among the clusters), and labels it as done (afterCompletion);
    /// talm leaves such a canary out, like any other cluster whose backup or pre-caching failed.
    /// </summary>
    public static bool CanaryCountsAsComplete(string canary, List<string> clusters) => clusters.Contains(canary);
}
