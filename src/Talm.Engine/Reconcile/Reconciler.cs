using Talm.Api.Cgu;
using Talm.Engine.Model;

namespace Talm.Engine.Reconcile;

/// <summary>
/// One reconcile of a CGU, step for step as the reference's controller takes it: the finalizer, then
/// one of three branches by the Succeeded and Progressing conditions: finishing, preparing (selection,
/// validation, plan, placements, pre-caching, the enable gate, blocking CRs, backup) or running batches.
/// </summary>
internal static class Reconciler
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Medium = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    public static void Run(ReconcileContext ctx)
    {
        switch (Finalizer.Handle(ctx))
        {
            case FinalizerOutcome.Added:
                ctx.Emit(CguEvents.Created(ctx.Cgu));
                ctx.RequeueNow();
                return;
            case FinalizerOutcome.Stop:
                return;
        }

        var succeeded = ctx.Condition(ConditionTypes.Succeeded);
        var progressing = ctx.Condition(ConditionTypes.Progressing);
        if (succeeded is not null)
        {
            Finish(ctx, succeeded.IsTrue);
        }
        else if (progressing is null || !progressing.IsTrue)
        {
            if (!Prepare(ctx))
                return;
        }
        else if (!Batches.Run(ctx, progressing))
        {
            return;
        }

        ctx.UpdateStatus();
    }

    /// <summary>Succeeded is set: once, clean up, send the final event and stamp completedAt.</summary>
    private static void Finish(ReconcileContext ctx, bool succeeded)
    {
        var progress = ctx.Progress;
        if (progress.CompletedAt is not null)
            return;
        if (Cleanup.ShouldDeleteObjects(ctx.Spec))
            Cleanup.DeleteResources(ctx);
        ctx.Emit(succeeded ? CguEvents.Success(ctx.Status, ctx.Cgu) : CguEvents.TimedOut(ctx.Status, ctx.Cgu));
        progress.CompletedAt = ctx.Now;
        progress.CurrentBatch = 0;
        progress.CurrentBatchStartedAt = null;
        progress.CurrentBatchRemediationProgress = null;
    }

    /// <returns>False when the reconcile ended early (its status already written, or an error).</returns>
    private static bool Prepare(ReconcileContext ctx)
    {
        var selection = ClusterSelection.Validate(ctx);
        if (selection.Error is not null)
        {
            var message = $"Unable to select clusters: {selection.Error}";
            var current = ctx.Condition(ConditionTypes.ClustersSelected);
            if (current is null || current.Message != message)
                ctx.Emit(CguEvents.MissingClusters(ctx.Cgu, selection.Missing));
            ctx.SetCondition(ConditionTypes.ClustersSelected, false, ConditionReasons.ClusterNotFound, message);
            ctx.Requeue(Long);
            ctx.UpdateStatus();
            return false;
        }
        ctx.SetCondition(ConditionTypes.ClustersSelected, true, ConditionReasons.ClusterSelectionCompleted, "All selected clusters are valid");
        if (selection.Reconcile)
        {
            ctx.RequeueNow();
            return false;
        }
        var clusters = selection.Clusters;

        var policies = PoliciesInfo.Empty;
        var allPoliciesExist = false;
        var allTemplatesExist = false;
        List<string> missingTemplates = [];
        if (ctx.IsPolicyRollout)
        {
            policies = ManagedPolicies.Check(ctx, clusters);
            allPoliciesExist = policies.AllExist;
        }
        else
        {
            missingTemplates = ManifestWorks.MissingTemplates(ctx);
            allTemplatesExist = missingTemplates.Count == 0;
        }

        List<string> compliantClusters;
        if (allPoliciesExist || allTemplatesExist)
        {
            if (!PlatformVersion.Validate(ctx, policies.Present) || !PolicyDependencies.Validate(ctx, policies.Present))
            {
                if (ctx.Error is not null)
                    return false;
                ctx.Requeue(Long);
                ctx.UpdateStatus();
                return false;
            }
            ctx.SetCondition(ConditionTypes.Validated, true, ConditionReasons.ValidationCompleted, "Completed validation");
            compliantClusters = RemediationPlan.Build(ctx, clusters, policies.Present);
            clusters = RemediationPlan.Clusters(ctx.Status);
            PolicyResources.Reconcile(ctx, policies.Present);
            if (ctx.Error is not null)
                return false;
            if (!MonitoredObjects.Record(ctx, policies.Present))
                return false;
        }
        else
        {
            ReportInvalid(ctx, policies, missingTemplates);
            return false;
        }

        // Already compliant policies still count for pre-caching: ZTP keeps the catalog source there.
        if (!Precaching.Reconcile(ctx, clusters, [.. policies.Present, .. policies.Compliant]))
            return false;
        if (ctx.Status.Precaching is not null)
        {
            if (ctx.Condition(ConditionTypes.PrecacheSpecValid) is { IsTrue: true })
            {
                if (ctx.Condition(ConditionTypes.PrecachingSucceeded) is not { IsTrue: true })
                {
                    if (Deviations.EndWhenAllFailed(ctx, ConditionTypes.PrecachingSucceeded, "No clusters available for remediation (Precaching failed)"))
                        return false;
                    ctx.UpdateStatus();
                    ctx.Requeue(Short);
                    return false;
                }
                clusters = Precaching.Succeeded(ctx.Status, clusters);
                if (clusters.Count == 0 && ctx.Status.RemediationPlan is { Count: > 0 })
                {
                    End(ctx, "No clusters available for remediation (Precaching failed)");
                    return false;
                }
            }
            else
            {
                ctx.Requeue(Long);
                ctx.UpdateStatus();
                return false;
            }
        }

        if (!ctx.Spec.IsEnabled)
        {
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.NotEnabled, "Not enabled");
            ctx.Requeue(Long);
            ctx.UpdateStatus();
            return false;
        }

        ctx.Emit(CguEvents.Started(ctx.Status, ctx.Cgu));
        ctx.Progress.StartedAt ??= ctx.Now;

        var blocking = BlockingCrs.Check(ctx);
        if (blocking.Missing.Count > 0)
        {
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.MissingBlockingCR, $"Missing blocking CRs: {GoFormat.List(blocking.Missing)}");
            ctx.Requeue(Medium);
            return true;
        }
        if (blocking.NotCompleted.Count > 0)
        {
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.IncompleteBlockingCR, $"Blocking CRs that are not completed: {GoFormat.List(blocking.NotCompleted)}");
            ctx.Requeue(Medium);
            return true;
        }

        Backup.Reconcile(ctx, clusters);
        if (ctx.Error is not null)
            return false;
        if (ctx.Status.Backup is not null && ctx.Condition(ConditionTypes.BackupSucceeded) is not { IsTrue: true })
        {
            if (Deviations.EndWhenAllFailed(ctx, ConditionTypes.BackupSucceeded, "No clusters available for remediation (Backup failed)"))
                return false;
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.NotStarted, "Cluster backup is in progress");
            ctx.UpdateStatus();
            ctx.Requeue(Short);
            return false;
        }
        clusters = Backup.Succeeded(ctx.Status, clusters);
        if (clusters.Count == 0 && ctx.Status.RemediationPlan is { Count: > 0 })
        {
            End(ctx, "No clusters available for remediation (Backup failed)");
            return false;
        }

        if (ctx.Cgu.Metadata.Annotation(HubNames.BlockingCompletionModeAnnotation) == HubNames.PartialBlockingCompletion &&
            ctx.Cgu.Metadata.Annotation(HubNames.BlockingClusterFilteringAnnotation) == "true")
        {
            clusters = BlockingCrs.CompletedInAll(ctx, clusters);
            if (ctx.Error is not null)
                return false;
            if (clusters.Count == 0)
            {
                const string message = "No clusters available for remediation after filtering out non-completed clusters from blocking CGUs";
                ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.Completed, message);
                ctx.SetCondition(ConditionTypes.Succeeded, false, ConditionReasons.Failed, message);
                ctx.Requeue(Short);
                ctx.UpdateStatus();
                return false;
            }
        }

        // The plan is built again now that clusters whose backup or pre-caching failed are out.
        compliantClusters.AddRange(RemediationPlan.Build(ctx, clusters, policies.Present));
        ClusterActions.AfterCompletionForCompliant(ctx, compliantClusters);
        ClusterActions.BeforeEnable(ctx);

        if (ctx.Status.RemediationPlan is null)
        {
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.Completed, "All clusters are compliant with all the managed policies");
            ctx.SetCondition(ConditionTypes.Succeeded, true, ConditionReasons.Completed, "All clusters already compliant with the specified managed policies");
        }
        else
        {
            ctx.SetCondition(ConditionTypes.Progressing, true, ConditionReasons.InProgress, RolloutTypes.InProgressMessage(ctx.Rollout));
        }
        ctx.RequeueNow();
        return true;
    }

    /// <summary>Nothing is left to remediate: the CGU ends as failed, and is looked at once more to clean up.</summary>
    internal static void End(ReconcileContext ctx, string message)
    {
        ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.Completed, message);
        ctx.SetCondition(ConditionTypes.Succeeded, false, ConditionReasons.Failed, message);
        ctx.RequeueNow();
        ctx.UpdateStatus();
    }

    private static void ReportInvalid(ReconcileContext ctx, PoliciesInfo policies, List<string> missingTemplates)
    {
        var (reason, message, failure) = Invalid(ctx, policies, missingTemplates);
        var current = ctx.Condition(ConditionTypes.Validated);
        if (current is null || current.Message != message)
            ctx.Emit(CguEvents.PoliciesValidationFailure(ctx.Cgu, failure, policies));
        ctx.SetCondition(ConditionTypes.Validated, false, reason, message);
        ctx.Requeue(Medium);
        ctx.UpdateStatus();
    }

    /// <summary>Why the managed policies or manifest templates do not validate, in the Validated condition's words.</summary>
    internal static (string Reason, string Message, ValidationFailure Failure) Invalid(ReconcileContext ctx, PoliciesInfo policies, List<string> missingTemplates)
    {
        string message = "";
        string reason;
        var failure = ValidationFailure.None;
        if (ctx.IsPolicyRollout)
        {
            reason = ConditionReasons.NotAllManagedPoliciesExist;
            if (policies.Missing.Count > 0)
            {
                message = $"Missing managed policies: {GoFormat.List(policies.Missing)} ";
                failure = ValidationFailure.MissingPolicies;
            }
            if (policies.Invalid.Count > 0)
            {
                message = $"Invalid managed policies: {GoFormat.List(policies.Invalid)} ";
                failure = ValidationFailure.InvalidPolicies;
            }
            if (policies.Duplicated.Count > 0)
            {
                message = $"Managed policy name should be unique, but was found in multiple namespaces: {GoFormat.Json(policies.Duplicated)} ";
                reason = ConditionReasons.AmbiguousManagedPoliciesNames;
                failure = ValidationFailure.AmbiguousPolicies;
            }
        }
        else
        {
            reason = ConditionReasons.NotAllManifestTemplatesExist;
            message = $"Missing manifest templates: {GoFormat.List(missingTemplates)}";
        }
        return (reason, message, failure);
    }
}
