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
}
