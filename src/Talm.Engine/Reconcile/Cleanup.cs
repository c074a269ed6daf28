using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>What a CGU leaves behind, removed when it ends (unless afterCompletion.deleteObjects is false) or is deleted.</summary>
internal static class Cleanup
{
    public static bool ShouldDeleteObjects(ClusterGroupUpgradeSpec spec) => spec.Actions?.AfterCompletion?.DeleteObjects ?? true;

    /// <summary>deleteResources: Placements and bindings, the current batch's ManifestWorks, unfinished backup and pre-cache objects.</summary>
    public static void DeleteResources(ReconcileContext ctx)
    {
        var labels = HubNames.CguLabels(ctx.Cgu.Name, ctx.Cgu.Namespace);
        foreach (var ns in PolicyResources.TargetNamespaces(ctx.Status))
        {
            ctx.DeleteAllOf(Kinds.Placement, ns, labels);
            ctx.Hub.DeletedAllFor(Kinds.Placement, ns, ctx.Cgu);
            ctx.Status.Placements = null;
            ctx.DeleteAllOf(Kinds.PlacementBinding, ns, labels);
            ctx.Hub.DeletedAllFor(Kinds.PlacementBinding, ns, ctx.Cgu);
            ctx.Status.PlacementBindings = null;
        }
        ManifestWorks.CleanupCurrentBatch(ctx);
        JobsAndViews(ctx);
        ctx.Status.SafeResourceNames = null;
    }

    /// <summary>jobAndViewFinalCleanup: for each cluster whose pre-caching or backup did not succeed, its views and actions go and the spoke objects are deleted.</summary>
    private static void JobsAndViews(ReconcileContext ctx)
    {
        foreach (var (cluster, state) in ctx.Status.Precaching?.Status ?? [])
        {
            if (state == PrecacheStates.Succeeded)
                continue;
            SpokeResources.DeleteViews(ctx, cluster, SpokeNames.PrecacheViews);
            SpokeResources.DeleteActions(ctx, cluster, SpokeNames.PrecacheActions);
            SpokeResources.Create(ctx, SpokeResources.Delete(cluster, SpokeNames.PrecacheNsDelete, "namespace", SpokeNames.PrecacheNamespace));
            SpokeResources.Create(ctx, SpokeResources.Delete(cluster, SpokeNames.PrecacheCrbDelete, "clusterrolebinding", SpokeNames.PrecacheCrb));
        }
        foreach (var (cluster, state) in ctx.Status.Backup?.Status ?? [])
        {
            if (state == BackupStates.Succeeded)
                continue;
            SpokeResources.DeleteViews(ctx, cluster, SpokeNames.BackupViews);
            SpokeResources.DeleteActions(ctx, cluster, SpokeNames.BackupActions);
            SpokeResources.Create(ctx, SpokeResources.Delete(cluster, SpokeNames.BackupNsDelete, "namespace", SpokeNames.BackupNamespace));
            SpokeResources.Create(ctx, SpokeResources.Delete(cluster, SpokeNames.BackupCrbDelete, "clusterrolebinding", SpokeNames.BackupAgent));
        }
    }

    /// <summary>FinalMultiCloudObjectCleanup: a deleted, enabled, unfinished CGU's views and actions on the clusters still upgrading.</summary>
    public static void FinalMultiCloudObjects(ReconcileContext ctx)
    {
        if (!ctx.Spec.IsEnabled || ctx.Progress.CompletedAt is not null)
            return;
        if (ctx.Progress.CurrentBatch == 0)
        {
            if (ctx.Status.RemediationPlan is { Count: > 0 } plan)
            {
                foreach (var cluster in plan[0])
                    MultiCloudObjects(ctx, cluster);
            }
            return;
        }
        foreach (var (cluster, progress) in ctx.Progress.CurrentBatchRemediationProgress ?? [])
        {
            if (progress.State != RemediationStates.Completed)
                MultiCloudObjects(ctx, cluster);
        }
    }

    /// <summary>DeleteMultiCloudObjects: the CGU's views (by its labels) and actions (by "namespace-name") in the cluster's namespace.</summary>
    public static void MultiCloudObjects(ReconcileContext ctx, string cluster)
    {
        ctx.DeleteAllOf(Kinds.ManagedClusterView, cluster, HubNames.CguLabels(ctx.Cgu.Name, ctx.Cgu.Namespace));
        ctx.Hub.DeletedAllFor(Kinds.ManagedClusterView, cluster, ctx.Cgu);
        ctx.DeleteAllOf(Kinds.ManagedClusterAction, cluster,
            new Dictionary<string, string>(StringComparer.Ordinal) { [HubNames.CguLabel] = $"{ctx.Cgu.Namespace}-{ctx.Cgu.Name}" });
    }
}
