using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>What a job's views say, in the reference's words.</summary>
internal enum SpokeCondition
{
    NoNsView,
    NoNsFoundOnSpoke,
    NsFoundOnSpoke,
    NoJobView,
    NoJobFoundOnSpoke,
    DependenciesViewNotPresent,
    DependenciesNotPresent,
    JobDeadline,
    JobSucceeded,
    JobActive,
    JobBackoffLimitExceeded,
    Unforeseen,
}

/// <summary>
/// The ManagedClusterActions and ManagedClusterViews of the backup and pre-cache jobs: created as the
/// reference's templates render them (an existing one is left as it is), deleted by name, and read.
/// </summary>
internal static class SpokeResources
{
    /// <summary>Creates the action or view if it does not exist.</summary>
    public static void Create(ReconcileContext ctx, IKubeObject body)
    {
        var ns = body.Metadata.Namespace ?? "";
        var name = body.Metadata.Name ?? "";
        var exists = body is ManagedClusterView ? ctx.Hub.View(ns, name) is not null : ctx.Hub.ActionExists(ns, name);
        if (exists)
            return;
        ctx.Create(body);
        ctx.Hub.Wrote(body);
    }

    public static void DeleteViews(ReconcileContext ctx, string cluster, IEnumerable<string> names)
    {
        foreach (var name in names)
            DeleteView(ctx, cluster, name);
    }

    public static void DeleteView(ReconcileContext ctx, string cluster, string name)
    {
        ctx.Delete(Kinds.ManagedClusterView, cluster, name);
        ctx.Hub.Deleted(Kinds.ManagedClusterView, cluster, name);
    }

    public static void DeleteActions(ReconcileContext ctx, string cluster, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            ctx.Delete(Kinds.ManagedClusterAction, cluster, name);
            ctx.Hub.Deleted(Kinds.ManagedClusterAction, cluster, name);
        }
    }

    // ---- actions -------------------------------------------------------------------------------

    // The dependency templates are the same for every cluster: built once, shared as immutable elements.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Kind, string Name, string Account, string Ns), JsonElement> Templates = new();

    public static ManagedClusterAction CreateNamespace(string cluster, string action, string ns) => CreateAction(cluster, action, "namespace", null,
        Templates.GetOrAdd(("Namespace", ns, "", ""), static k => JsonSerializer.SerializeToElement(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject
            {
                ["name"] = k.Name,
                ["labels"] = new JsonObject { ["pod-security.kubernetes.io/enforce"] = "privileged" },
                ["annotations"] = new JsonObject { ["workload.openshift.io/allowed"] = "management" },
            },
        })));

    public static ManagedClusterAction CreateServiceAccount(string cluster, string action, string name, string ns) => CreateAction(cluster, action, "serviceaccount", null,
        Templates.GetOrAdd(("ServiceAccount", name, "", ns), static k => JsonSerializer.SerializeToElement(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = k.Name, ["namespace"] = k.Ns },
        })));

    public static ManagedClusterAction CreateClusterAdminBinding(string cluster, string action, string name, string serviceAccount, string ns) => CreateAction(cluster, action, "clusterrolebinding", null,
        Templates.GetOrAdd(("ClusterRoleBinding", name, serviceAccount, ns), static k => JsonSerializer.SerializeToElement(new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = k.Name },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "cluster-admin" },
            ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = k.Account, ["namespace"] = k.Ns }),
        })));

    public static ManagedClusterAction CreateJob(string cluster, string action, string ns, JsonElement job) => new()
    {
        Metadata = new ObjectMeta { Name = action, Namespace = cluster },
        Spec = new ManagedClusterActionSpec
        {
            ActionType = ActionTypes.Create,
            Kube = new KubeWork { Resource = "job", Namespace = ns, Template = job },
        },
    };

    public static ManagedClusterAction Delete(string cluster, string action, string resource, string name) => new()
    {
        Metadata = new ObjectMeta { Name = action, Namespace = cluster },
        Spec = new ManagedClusterActionSpec
        {
            ActionType = ActionTypes.Delete,
            Kube = new KubeWork { Resource = resource, Name = name },
        },
    };

    public static ManagedClusterAction CreateAction(string cluster, string action, string resource, string? ns, JsonObject template) =>
        CreateAction(cluster, action, resource, ns, JsonSerializer.SerializeToElement(template));

    public static ManagedClusterAction CreateAction(string cluster, string action, string resource, string? ns, JsonElement template) => new()
    {
        Metadata = new ObjectMeta { Name = action, Namespace = cluster },
        Spec = new ManagedClusterActionSpec
        {
            ActionType = ActionTypes.Create,
            Kube = new KubeWork { Resource = resource, Namespace = ns, Template = template },
        },
    };

    // ---- views ---------------------------------------------------------------------------------

    public static ManagedClusterView View(string cluster, string name, string resource, string resourceName, string? ns, int? updateIntervalSeconds) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = cluster },
        Spec = new ManagedClusterViewSpec
        {
            Scope = new ViewScope { Resource = resource, Name = resourceName, Namespace = ns, UpdateIntervalSeconds = updateIntervalSeconds },
        },
    };

    /// <summary>How often RHACM refreshes a pre-cache view: 6 s per cluster, between 30 s and 300 s.</summary>
    public static int ViewUpdateInterval(int clusters) => Math.Clamp(6 * clusters, 30, 300);

    // ---- reading views -------------------------------------------------------------------------

    /// <summary>getPreparingConditions: whether the job's namespace is still on the spoke.</summary>
    public static (SpokeCondition Condition, string? Error) Preparing(ReconcileContext ctx, string cluster, string viewName)
    {
        var view = ctx.Hub.View(cluster, viewName);
        if (view is null)
            return (SpokeCondition.NoNsView, null);
        if (view.Status?.Conditions is null)
            return (SpokeCondition.Unforeseen, "[getPreparingConditions] no ManagedClusterView conditions found");
        var (processing, error) = Processing(view);
        if (error is not null)
            return (SpokeCondition.Unforeseen, error);
        return (processing ? SpokeCondition.NsFoundOnSpoke : SpokeCondition.NoNsFoundOnSpoke, null);
    }

    /// <summary>getStartingConditions: the job's dependencies, then the job itself.</summary>
    public static (SpokeCondition Condition, string? Error) Starting(ReconcileContext ctx, string cluster, string jobView, bool precache)
    {
        if (precache)
        {
            foreach (var name in SpokeNames.PrecacheDependencyViews)
            {
                if (ctx.Hub.View(cluster, name) is null)
                    return (SpokeCondition.DependenciesViewNotPresent, null);
            }
        }
        var dependencies = precache ? SpokeNames.PrecacheDependencyViews : [SpokeNames.ViewBackupNamespace];
        foreach (var name in dependencies)
        {
            var view = ctx.Hub.View(cluster, name);
            if (view is null)
                return (SpokeCondition.DependenciesNotPresent, null);
            if (view.Status?.Conditions is null)
                return (SpokeCondition.Unforeseen, "[getPreparingConditions] no ManagedClusterView conditions found");
            var (present, error) = Processing(view);
            if (error is not null)
                return (SpokeCondition.Unforeseen, error);
            if (!present)
                return (SpokeCondition.DependenciesNotPresent, null);
        }
        var job = ctx.Hub.View(cluster, jobView);
        if (job is null)
            return (SpokeCondition.NoJobView, null);
        if (job.Status?.Conditions is null)
            return (SpokeCondition.Unforeseen, "[getStartingConditions] no ManagedClusterView conditions found");
        var (processing, viewError) = Processing(job);
        if (viewError is not null)
            return (SpokeCondition.Unforeseen, viewError);
        if (!processing)
            return (SpokeCondition.NoJobFoundOnSpoke, null);
        return JobStatus(job);
    }

    /// <summary>getActiveConditions: the job's state; a job still active on a cluster that is not available is an error.</summary>
    public static (SpokeCondition Condition, string? Error) Active(ReconcileContext ctx, string cluster, string jobView)
    {
        var job = ctx.Hub.View(cluster, jobView);
        if (job is null)
            return (SpokeCondition.NoJobView, null);
        if (job.Status?.Conditions is null)
            return (SpokeCondition.Unforeseen, "[getActiveConditions] no ManagedClusterView conditions found");
        var (processing, viewError) = Processing(job);
        if (viewError is not null)
            return (SpokeCondition.Unforeseen, viewError);
        if (!processing)
            return (SpokeCondition.NoJobFoundOnSpoke, null);
        var (state, error) = JobStatus(job);
        if (state == SpokeCondition.JobActive)
        {
            var managed = ctx.Hub.Cluster(cluster);
            if (managed is null)
                return (SpokeCondition.Unforeseen, $"managedclusters.cluster.open-cluster-management.io \"{cluster}\" not found");
            var available = Conditions.Find(managed.Status?.Conditions, ManagedCluster.AvailableCondition);
            if (available is null || !available.IsTrue)
                return (SpokeCondition.Unforeseen, $"[getActiveConditions] Cluster {cluster} is unavailable");
        }
        return (state, error);
    }

    /// <summary>checkViewProcessing: True = found; a "... not found" message = absent; anything else is an error.</summary>
    internal static (bool Processing, string? Error) Processing(ManagedClusterView view)
    {
        string status = "", message = "";
        foreach (var c in view.Status?.Conditions ?? [])
        {
            if (c.Type == ManagedClusterView.ProcessingCondition)
            {
                status = c.Status;
                message = c.Message ?? "";
            }
        }
        if (status == ConditionStatus.True)
            return (true, null);
        if (message.EndsWith("not found", StringComparison.Ordinal))
            return (false, null);
        if (message == "")
            message = "Processing condition not found in MCV status";
        return (false, $"MCV processing error: {message}");
    }

    /// <summary>getJobStatus: active, succeeded, or the reason of a Failed condition.</summary>
    private static (SpokeCondition Condition, string? Error) JobStatus(ManagedClusterView view)
    {
        if (view.Status?.Result is not { ValueKind: JsonValueKind.Object } result ||
            !result.TryGetProperty("status", out var status) || status.ValueKind == JsonValueKind.Null)
        {
            return (SpokeCondition.Unforeseen, "[getJobStatus] no job status found in ManagedClusterView");
        }

        if (status.ValueKind != JsonValueKind.Object)
            return (SpokeCondition.Unforeseen, status.GetRawText());
        if (Count(status, "active") > 0)
            return (SpokeCondition.JobActive, null);
        if (Count(status, "succeeded") > 0)
            return (SpokeCondition.JobSucceeded, null);
        if (status.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in conditions.EnumerateArray())
            {
                if (Str(c, "type") != "Failed" || Str(c, "status") != "True")
                    continue;
                switch (Str(c, "reason"))
                {
                    case "DeadlineExceeded":
                        return (SpokeCondition.JobDeadline, null);
                    case "BackoffLimitExceeded":
                        return (SpokeCondition.JobBackoffLimitExceeded, null);
                }
                break;
            }
        }
        return (SpokeCondition.Unforeseen, status.GetRawText());
    }

    private static long Count(JsonElement status, string name) =>
        status.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
