using Talm.Api.Cgu;
using Talm.Engine.Model;

namespace Talm.Engine.Reconcile;

internal enum FinalizerOutcome
{
    /// <summary>The finalizer was just added: the reference reconciles again at once.</summary>
    Added,

    /// <summary>The CGU is being deleted: cleaned up, finalizer removed, nothing more.</summary>
    Stop,

    Continue,
}

/// <summary>The cleanup finalizer: added first, and on deletion the CGU's leftovers are removed before it goes.</summary>
internal static class Finalizer
{
    public static FinalizerOutcome Handle(ReconcileContext ctx)
    {
        var meta = ctx.Cgu.Metadata;
        var has = meta.Finalizers?.Contains(ClusterGroupUpgrade.CleanupFinalizer) == true;
        if (meta.DeletionTimestamp is not null)
        {
            if (has)
            {
                Cleanup.FinalMultiCloudObjects(ctx);
                // An unfinished CGU, or one that kept its objects, still has them to remove.
                if (ctx.Progress.CompletedAt is null || !Cleanup.ShouldDeleteObjects(ctx.Spec))
                {
                    Cleanup.DeleteResources(ctx);
                    ManifestWorks.FinalCleanup(ctx);
                }
                ctx.Intents.Add(new FinalizerIntent(false, ClusterGroupUpgrade.CleanupFinalizer));
            }
            return FinalizerOutcome.Stop;
        }
        if (!has)
        {
            ctx.Intents.Add(new FinalizerIntent(true, ClusterGroupUpgrade.CleanupFinalizer));
            return FinalizerOutcome.Added;
        }
        return FinalizerOutcome.Continue;
    }
}
