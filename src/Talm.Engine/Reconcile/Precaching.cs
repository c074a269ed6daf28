using System.Globalization;
using System.Text.Json.Nodes;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>
/// Pre-caching: what to pull (derived from the policies, then the PreCachingConfig or the deprecated
/// overrides ConfigMap), then per cluster NotStarted → PreparingToStart → Starting → Active →
/// Succeeded, PrecacheTimeout or UnrecoverableError. Once the CGU is enabled, any error ends a cluster's
/// pre-caching as UnrecoverableError.
/// </summary>
internal static partial class Precaching
{
    /// <returns>False when the reconcile ended with an error.</returns>
    public static bool Reconcile(ReconcileContext ctx, List<string> clusters, IReadOnlyList<Policy> policies)
    {
        if (!ctx.Spec.IsPreCaching || clusters.Count == 0)
            return true;
        var status = ctx.Status.Precaching ??= new PrecachingStatus { Spec = new PrecachingSpec(), Status = [], Clusters = [] };
        status.Status ??= [];
        if (ctx.Condition(ConditionTypes.PrecachingSucceeded) is { IsTrue: true })
            return true;
        return Fsm(ctx, status, clusters, policies);
    }

    /// <summary>The clusters, in order, whose pre-caching succeeded (all of them when there was none).</summary>
    public static List<string> Succeeded(ClusterGroupUpgradeStatus status, List<string> clusters) =>
        status.Precaching is null ? clusters : clusters.FindAll(c => status.Precaching.Status?.GetValueOrDefault(c) == PrecacheStates.Succeeded);

    private static bool Fsm(ReconcileContext ctx, PrecachingStatus status, List<string> clusters, IReadOnlyList<Policy> policies)
    {
        if (ctx.Condition(ConditionTypes.PrecacheSpecValid) is not { IsTrue: true })
        {
            var (derived, error, pending) = FromPolicies(ctx, policies);
            if (pending)
            {
                ctx.Fail("waiting for the update graph");
                return false;
            }
            if (error is not null)
            {
                ctx.Fail(error);
                return false;
            }
            var (spec, configError) = WithConfigs(ctx, derived);
            if (configError is not null)
            {
                ctx.SetCondition(ConditionTypes.PrecacheSpecValid, false, ConditionReasons.PrecacheSpecIncomplete,
                    $"Precaching spec is incomplete: failed to get PreCachingConfig resource due to {configError}");
                return true;
            }
            if (Inconsistency(spec) is { } problem)
            {
                ctx.SetCondition(ConditionTypes.PrecacheSpecValid, false, ConditionReasons.PrecacheSpecIncomplete, $"Precaching spec is incomplete: {problem}");
                return true;
            }
            ctx.SetCondition(ConditionTypes.PrecacheSpecValid, true, ConditionReasons.PrecacheSpecIsWellFormed, "Precaching spec is valid and consistent");
            status.Spec = spec;
        }
        ctx.SetCondition(ConditionTypes.PrecachingSucceeded, false, ConditionReasons.InProgress, "Precaching is required and not done");

        var states = status.Status!;
        Dictionary<string, string>? changed = null;
        HashSet<string>? waiting = null;
        foreach (var cluster in clusters)
        {
            var current = states.GetValueOrDefault(cluster) ?? PrecacheStates.NotStarted;
            if (current is PrecacheStates.Succeeded or PrecacheStates.PrecacheTimeout or PrecacheStates.UnrecoverableError)
                continue;
            if (!PrecacheStates.IsProgressing(current))
            {
                ctx.Fail($"[precachingFsm] unknown state {current}");
                return false;
            }
            var mark = ctx.Intents.Count;
            var (next, error) = current switch
            {
                PrecacheStates.NotStarted => NotStarted(ctx, cluster),
                PrecacheStates.PreparingToStart => Preparing(ctx, cluster),
                PrecacheStates.Starting => Starting(ctx, status, cluster),
                _ => Active(ctx, cluster),
            };
            if (error is not null && ctx.Spec.IsEnabled)
                next = PrecacheStates.UnrecoverableError;
            if (next == PrecacheStates.Succeeded)
            {
                SpokeResources.DeleteViews(ctx, cluster, SpokeNames.PrecacheViews);
                CreateDeleteActions(ctx, cluster);
            }
            if (ctx.Intents.Count > mark && !ctx.TryTakeStep())
            {
                ctx.Intents.RemoveRange(mark, ctx.Intents.Count - mark);
                next = current;
                if (current == PrecacheStates.NotStarted)
                    (waiting ??= new HashSet<string>(StringComparer.Ordinal)).Add(cluster);
            }
            if (next != current || !states.ContainsKey(cluster))
            {
                changed ??= new Dictionary<string, string>(states, StringComparer.Ordinal);
                changed[cluster] = next;
            }
        }
        if (changed is not null)
            status.Status = states = changed;
        AllDone(ctx, states, waiting);
        return true;
    }

    private static (string, string?) NotStarted(ReconcileContext ctx, string cluster)
    {
        SpokeResources.DeleteViews(ctx, cluster, SpokeNames.PrecacheViews);
        SpokeResources.DeleteActions(ctx, cluster, SpokeNames.PrecacheActions);
        CreateDeleteActions(ctx, cluster);
        SpokeResources.Create(ctx, NamespaceView(cluster, 0));
        return (PrecacheStates.PreparingToStart, null);
    }

    private static (string, string?) Preparing(ReconcileContext ctx, string cluster)
    {
        var (condition, error) = SpokeResources.Preparing(ctx, cluster, SpokeNames.ViewPrecacheNamespace);
        if (error is not null)
            return (PrecacheStates.PreparingToStart, error);
        return condition == SpokeCondition.NoNsFoundOnSpoke ? (PrecacheStates.Starting, null) : (PrecacheStates.PreparingToStart, null);
    }

    private static (string, string?) Starting(ReconcileContext ctx, PrecachingStatus status, string cluster)
    {
        const string current = PrecacheStates.Starting;
        var (condition, error) = SpokeResources.Starting(ctx, cluster, SpokeNames.ViewPrecacheJob, precache: true);
        if (error is not null)
            return (current, error);
        switch (condition)
        {
            case SpokeCondition.DependenciesViewNotPresent or SpokeCondition.DependenciesNotPresent:
                DeployDependencies(ctx, status, cluster);
                return (current, null);
            case SpokeCondition.NoJobView:
                SpokeResources.Create(ctx, JobView(cluster, SpokeResources.ViewUpdateInterval(status.Status!.Count)));
                return (current, null);
            case SpokeCondition.NoJobFoundOnSpoke:
                var image = ctx.Snapshot.Settings.PrecacheImage;
                if (string.IsNullOrEmpty(image))
                    return (current, "PRECACHE_IMG environment variable is not set");
                var timeout = (long)(ctx.Spec.RemediationStrategy?.TimeoutMinutes ?? RemediationStrategy.DefaultTimeoutMinutes) * 60;
                SpokeResources.DeleteView(ctx, cluster, SpokeNames.ViewPrecacheJob);
                SpokeResources.Create(ctx, SpokeResources.CreateJob(cluster, SpokeNames.PrecacheJobCreate, SpokeNames.PrecacheNamespace, PrecacheJob.Build(image, timeout)));
                // The reference sizes this view's interval by status.precaching.clusters, which it leaves empty.
                SpokeResources.Create(ctx, JobView(cluster, SpokeResources.ViewUpdateInterval(status.Clusters?.Count ?? 0)));
                return (current, null);
            case SpokeCondition.JobActive:
                SpokeResources.DeleteViews(ctx, cluster, SpokeNames.PrecacheDependencyViews);
                SpokeResources.DeleteView(ctx, cluster, SpokeNames.ViewPrecacheNamespace);
                return (PrecacheStates.Active, null);
            default:
                return Finished(ctx, cluster, condition, current);
        }
    }

    private static (string, string?) Active(ReconcileContext ctx, string cluster)
    {
        const string current = PrecacheStates.Active;
        var (condition, error) = SpokeResources.Active(ctx, cluster, SpokeNames.ViewPrecacheJob);
        if (error is not null)
            return (current, error);
        return condition == SpokeCondition.JobActive ? (current, null) : Finished(ctx, cluster, condition, current);
    }

    private static (string, string?) Finished(ReconcileContext ctx, string cluster, SpokeCondition condition, string current)
    {
        var next = condition switch
        {
            SpokeCondition.JobSucceeded => PrecacheStates.Succeeded,
            SpokeCondition.JobDeadline => PrecacheStates.PrecacheTimeout,
            SpokeCondition.JobBackoffLimitExceeded => PrecacheStates.UnrecoverableError,
            _ => null,
        };
        if (next is null)
            return (current, $"[precachingFsm] unknown condition {condition} in {current} state");
        SpokeResources.DeleteViews(ctx, cluster, SpokeNames.PrecacheDependencyViews);
        return (next, null);
    }

    private static void DeployDependencies(ReconcileContext ctx, PrecachingStatus status, string cluster)
    {
        SpokeResources.Create(ctx, SpokeResources.CreateNamespace(cluster, SpokeNames.PrecacheNsCreate, SpokeNames.PrecacheNamespace));
        SpokeResources.Create(ctx, SpokeResources.CreateServiceAccount(cluster, SpokeNames.PrecacheSaCreate, SpokeNames.PrecacheAgent, SpokeNames.PrecacheNamespace));
        SpokeResources.Create(ctx, SpokeResources.CreateClusterAdminBinding(cluster, SpokeNames.PrecacheCrbCreate, SpokeNames.PrecacheCrb, SpokeNames.PrecacheAgent, SpokeNames.PrecacheNamespace));
        SpokeResources.Create(ctx, SpecConfigMapAction(cluster, status.Spec ?? new PrecachingSpec()));
        var interval = SpokeResources.ViewUpdateInterval(status.Status!.Count);
        SpokeResources.Create(ctx, SpokeResources.View(cluster, SpokeNames.ViewPrecacheSpecConfigMap, "configmap", SpokeNames.PrecacheSpecConfigMap, SpokeNames.PrecacheNamespace, interval));
        SpokeResources.Create(ctx, SpokeResources.View(cluster, SpokeNames.ViewPrecacheServiceAccount, "serviceaccounts", SpokeNames.PrecacheAgent, SpokeNames.PrecacheNamespace, interval));
        SpokeResources.Create(ctx, SpokeResources.View(cluster, SpokeNames.ViewPrecacheClusterRoleBinding, "clusterrolebinding", SpokeNames.PrecacheCrb, null, interval));
    }

    private static Api.Rhacm.ManagedClusterAction SpecConfigMapAction(string cluster, PrecachingSpec spec) =>
        SpokeResources.CreateAction(cluster, SpokeNames.PrecacheSpecCmCreate, "configmap", null, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = SpokeNames.PrecacheSpecConfigMap, ["namespace"] = SpokeNames.PrecacheNamespace },
            ["data"] = new JsonObject
            {
                ["operators.indexes"] = string.Join('\n', spec.OperatorsIndexes ?? []),
                ["operators.packagesAndChannels"] = string.Join('\n', spec.OperatorsPackagesAndChannels ?? []),
                ["excludePrecachePatterns"] = string.Join('\n', spec.ExcludePrecachePatterns ?? []),
                ["additionalImages"] = string.Join('\n', spec.AdditionalImages ?? []),
                ["platform.image"] = spec.PlatformImage ?? "",
                ["spaceRequired"] = spec.SpaceRequired ?? "",
            },
        });

    private static void CreateDeleteActions(ReconcileContext ctx, string cluster)
    {
        SpokeResources.Create(ctx, SpokeResources.Delete(cluster, SpokeNames.PrecacheNsDelete, "namespace", SpokeNames.PrecacheNamespace));
        SpokeResources.Create(ctx, SpokeResources.Delete(cluster, SpokeNames.PrecacheCrbDelete, "clusterrolebinding", SpokeNames.PrecacheCrb));
    }

    private static Api.Rhacm.ManagedClusterView NamespaceView(string cluster, int interval) =>
        SpokeResources.View(cluster, SpokeNames.ViewPrecacheNamespace, "namespaces", SpokeNames.PrecacheNamespace, null, interval);

    private static Api.Rhacm.ManagedClusterView JobView(string cluster, int interval) =>
        SpokeResources.View(cluster, SpokeNames.ViewPrecacheJob, "jobs", SpokeNames.PrecacheJob, SpokeNames.PrecacheNamespace, interval);

    /// <summary>
    /// checkAllPrecachingDone: NotStarted counts as failed, as in the reference; but a cluster the step
    /// bound kept back this decision (<paramref name="waiting"/>, ours) is still to do, not failed, or the
    /// CGU would go on without the clusters at the end of a large fleet.
    /// </summary>
    private static void AllDone(ReconcileContext ctx, Dictionary<string, string> states, HashSet<string>? waiting)
    {
        int failed = 0, progressing = 0, succeeded = 0;
        foreach (var (cluster, state) in states)
        {
            if (waiting is not null && waiting.Contains(cluster))
            {
                progressing++;
                continue;
            }
            switch (state)
            {
                case PrecacheStates.Succeeded: succeeded++; break;
                case PrecacheStates.Active or PrecacheStates.Starting or PrecacheStates.PreparingToStart: progressing++; break;
                default: failed++; break;
            }
        }
        var total = states.Count;
        if (total == succeeded)
            ctx.SetCondition(ConditionTypes.PrecachingSucceeded, true, ConditionReasons.PrecachingCompleted, "Precaching is completed for all clusters");
        else if (total == failed)
            ctx.SetCondition(ConditionTypes.PrecachingSucceeded, false, ConditionReasons.Failed, "Precaching failed for all clusters");
        else if (total == failed + succeeded)
            ctx.SetCondition(ConditionTypes.PrecachingSucceeded, true, ConditionReasons.PartiallyDone, string.Create(CultureInfo.InvariantCulture, $"Precaching failed for {failed} clusters"));
        else
            ctx.SetCondition(ConditionTypes.PrecachingSucceeded, false, ConditionReasons.InProgress, string.Create(CultureInfo.InvariantCulture, $"Precaching in progress for {progressing} clusters"));
    }

    /// <summary>Go's %s of a JSON value: a string as is, nothing as "%!s(&lt;nil&gt;)".</summary>
    private static string GoString(JsonNode? node) => node is null ? "%!s(<nil>)" : PolicyObjects.Str(node) ?? node.ToJsonString();

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static IReadOnlyList<string>? NullIfEmpty(IReadOnlyList<string>? list) => list is { Count: > 0 } ? list : null;
}
