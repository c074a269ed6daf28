using System.Text.Json;
using Talm.Api.Agent;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Engine.Reconcile;

namespace Talm.Engine.Preflight;

/// <summary>
/// Ours: the backup's pre-flight on one cluster through RHACM, the way the operator runs a backup (a
/// namespace, service account and cluster-admin binding, then the agent's Job, each made by a
/// ManagedClusterAction; the Job read back through a ManagedClusterView), with objects of its own names
/// (<c>talm-preflight-*</c>) so that a CGU at work is never touched. The Job runs <c>launchBackup --dry-run</c>
/// with the backup Job's pod, and the agent publishes its findings on it (<see cref="PreflightReport"/>).
/// Each step reads what the hub holds now and says what to change: pure, like the engine's reconcile.
/// Every object carries the run's id, so what an earlier run left behind is told apart and deleted first;
/// an earlier run's Job on the cluster goes with its namespace before this run makes its own.
/// </summary>
public sealed class PreflightFlow
{
    /// <summary>The label on every hub object of a pre-flight (to list them all at once).</summary>
    public const string Label = "talm.openshift.io/preflight";

    /// <summary>The annotation with the run's id.</summary>
    public const string RunAnnotation = "talm.openshift.io/preflight-run";

    /// <summary>The annotation naming the CGU the run is for (namespace/name).</summary>
    public const string CguAnnotation = "talm.openshift.io/preflight-cgu";

    /// <summary>The Job's own limit on the spoke: the backup Job's.</summary>
    public const int JobDeadlineSeconds = BackupJob.ActiveDeadlineSeconds;

    /// <summary>What the agent runs: the backup's entry point, checking only.</summary>
    public static IReadOnlyList<string> AgentArgs { get; } = ["launchBackup", "--dry-run"];

    public static IReadOnlyList<string> ViewNames => SpokeNames.PreflightViews;

    public static IReadOnlyList<string> ActionNames { get; } = [.. SpokeNames.PreflightCreateActions, .. SpokeNames.PreflightDeleteActions];

    /// <summary>Where the agent runs on the cluster (namespace, Job), for messages that point there.</summary>
    public static string SpokeNamespace => SpokeNames.PreflightNamespace;

    public static string SpokeJob => SpokeNames.PreflightAgent;

    private readonly JsonElement _job;
    private readonly int _viewInterval;
    private readonly Dictionary<string, string> _labels = new(StringComparer.Ordinal) { [Label] = "true" };
    private readonly Dictionary<string, string> _annotations;

    /// <param name="image">The agent's image (the operator's RECOVERY_IMG).</param>
    /// <param name="run">This run's id: objects with another are an earlier run's.</param>
    /// <param name="cgu">The CGU's namespace/name, recorded on every object.</param>
    /// <param name="clusters">How many clusters take part: the views refresh less often for many.</param>
    public PreflightFlow(string image, string run, string cgu, int clusters)
    {
        ArgumentException.ThrowIfNullOrEmpty(image);
        ArgumentException.ThrowIfNullOrEmpty(run);
        Run = run;
        _job = BackupJob.Create(image, SpokeNames.PreflightAgent, SpokeNames.PreflightNamespace, AgentArgs, JobDeadlineSeconds);
        _viewInterval = ViewUpdateInterval(clusters);
        _annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [RunAnnotation] = run, [CguAnnotation] = cgu };
    }

    public string Run { get; }

    /// <summary>
    /// How often RHACM refreshes the views (seconds): 10 s up to 200 clusters, then one more second per 20
    /// clusters up to 60 s, so that a fleet's views do not flood the hub with status writes.
    /// </summary>
    public static int ViewUpdateInterval(int clusters) => Math.Clamp(clusters / 20, 10, 60);

    /// <summary>Why a cluster is not tried at all; null when it may be.</summary>
    public static string? Unavailable(ManagedCluster? cluster) =>
        cluster is null ? "no such ManagedCluster"
        : cluster.IsAvailable ? null
        : "the hub reports it unavailable (" + (Conditions.Find(cluster.Status?.Conditions, ManagedCluster.AvailableCondition)?.Message ?? "ManagedClusterConditionAvailable is not True") + ")";

    /// <summary>The next step of one cluster's pre-flight from <paramref name="stage"/>, given what the hub holds.</summary>
    public PreflightStep Advance(string cluster, PreflightStage stage, PreflightObserved seen)
    {
        ArgumentNullException.ThrowIfNull(seen);
        var intents = new List<Intent>();
        // An earlier run's objects go first; nothing of this run is made beside them.
        if (DeleteStale(cluster, seen, intents))
            return new PreflightStep(PreflightStage.Clearing, intents, "removing an earlier pre-flight's objects from the hub");
        return stage switch
        {
            PreflightStage.Clearing => Clearing(cluster, seen, intents),
            PreflightStage.Preparing => Preparing(cluster, seen, intents),
            PreflightStage.Running => Running(cluster, seen, intents),
            _ => new PreflightStep(PreflightStage.Finished, intents, ""),
        };
    }

    private PreflightStep Clearing(string cluster, PreflightObserved seen, List<Intent> intents)
    {
        Ensure(seen, intents, SpokeResources.Delete(cluster, SpokeNames.PreflightNsDelete, "namespace", SpokeNames.PreflightNamespace));
        Ensure(seen, intents, SpokeResources.Delete(cluster, SpokeNames.PreflightCrbDelete, "clusterrolebinding", SpokeNames.PreflightAgent));
        Ensure(seen, intents, NamespaceView(cluster));
        var gone = NamespaceState(seen) == false;
        var deleted = Completed(seen, SpokeNames.PreflightNsDelete) is not null && Completed(seen, SpokeNames.PreflightCrbDelete) is not null;
        if (!gone || !deleted)
            return new PreflightStep(PreflightStage.Clearing, intents, $"clearing namespace {SpokeNames.PreflightNamespace} on the cluster");
        // Both deletions ran (or found nothing) and the namespace is gone: the new one can be made.
        foreach (var name in SpokeNames.PreflightDeleteActions)
            intents.Add(new DeleteIntent(Kinds.ManagedClusterAction, cluster, name));
        return Preparing(cluster, seen, intents);
    }

    private PreflightStep Preparing(string cluster, PreflightObserved seen, List<Intent> intents)
    {
        Ensure(seen, intents, SpokeResources.CreateNamespace(cluster, SpokeNames.PreflightNsCreate, SpokeNames.PreflightNamespace));
        Ensure(seen, intents, SpokeResources.CreateServiceAccount(cluster, SpokeNames.PreflightSaCreate, SpokeNames.PreflightAgent, SpokeNames.PreflightNamespace));
        Ensure(seen, intents, SpokeResources.CreateClusterAdminBinding(cluster, SpokeNames.PreflightCrbCreate, SpokeNames.PreflightAgent, SpokeNames.PreflightAgent, SpokeNames.PreflightNamespace));
        Ensure(seen, intents, NamespaceView(cluster));
        if (FailedAction(seen, SpokeNames.PreflightNsCreate, SpokeNames.PreflightSaCreate, SpokeNames.PreflightCrbCreate) is { } failed)
            return new PreflightStep(PreflightStage.Finished, intents, "", new PreflightOutcome(PreflightResult.Error, failed));
        if (NamespaceState(seen) != true)
            return new PreflightStep(PreflightStage.Preparing, intents, $"making namespace {SpokeNames.PreflightNamespace} on the cluster");
        return Running(cluster, seen, intents);
    }

    private PreflightStep Running(string cluster, PreflightObserved seen, List<Intent> intents)
    {
        Ensure(seen, intents, SpokeResources.CreateJob(cluster, SpokeNames.PreflightJobCreate, SpokeNames.PreflightNamespace, _job));
        Ensure(seen, intents, JobView(cluster));
        if (FailedAction(seen, SpokeNames.PreflightJobCreate, SpokeNames.PreflightSaCreate, SpokeNames.PreflightCrbCreate) is { } failed)
            return new PreflightStep(PreflightStage.Finished, intents, "", new PreflightOutcome(PreflightResult.Error, failed));
        if (!seen.Views.TryGetValue(SpokeNames.ViewPreflightJob, out var view) || view.Status?.Conditions is null)
            return new PreflightStep(PreflightStage.Running, intents, "making the Job");
        var (found, error) = SpokeResources.Processing(view);
        if (!found)
            return new PreflightStep(PreflightStage.Running, intents, error is null ? "making the Job" : $"making the Job ({error})");
        if (view.Status?.Result is not { ValueKind: JsonValueKind.Object } job)
            return new PreflightStep(PreflightStage.Running, intents, "the Job runs");
        var (ended, succeeded, failure) = JobEnd(job);
        if (!ended)
            return new PreflightStep(PreflightStage.Running, intents, "the Job runs");
        return new PreflightStep(PreflightStage.Finished, intents, "", Outcome(Annotation(job), succeeded, failure, BackupFacts.JobSeconds(job)));
    }

    /// <summary>The outcome of a Job that ended: the agent's report, else what the Job's status says.</summary>
    public static PreflightOutcome Outcome(string? annotation, bool succeeded, string? failure, double? seconds)
    {
        var report = PreflightReport.FromAnnotation(annotation);
        if (report is not null)
        {
            return report.Ok
                ? new PreflightOutcome(PreflightResult.Passed, "the backup can run", report, seconds)
                : new PreflightOutcome(PreflightResult.Failed, report.FirstFailed is { } f ? $"{f.Name}: {f.Message}" : $"the agent exited {report.ExitCode}", report, seconds);
        }
        var log = $"its log: oc logs -n {SpokeNames.PreflightNamespace} job/{SpokeNames.PreflightAgent} on the cluster (--keep leaves it there)";
        return succeeded
            ? new PreflightOutcome(PreflightResult.NoReport, $"the Job succeeded but left no {PreflightReport.Annotation} annotation: is the recovery image older than the pre-flight? {log}", null, seconds)
            : new PreflightOutcome(PreflightResult.NoReport, $"the Job failed ({failure ?? "no reason given"}) before the agent reported; {log}", null, seconds);
    }

    private static string? Annotation(JsonElement job) =>
        job.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object &&
        meta.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Object &&
        annotations.TryGetProperty(PreflightReport.Annotation, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>Whether the Job ended (succeeded, or a Failed condition: its reason and message), as its status says.</summary>
    private static (bool Ended, bool Succeeded, string? Failure) JobEnd(JsonElement job)
    {
        if (!job.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Object)
            return (false, false, null);
        if (status.TryGetProperty("succeeded", out var ok) && ok.ValueKind == JsonValueKind.Number && ok.TryGetInt64(out var n) && n > 0)
            return (true, true, null);
        if (!status.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array)
            return (false, false, null);
        foreach (var c in conditions.EnumerateArray())
        {
            if (Str(c, "status") != ConditionStatus.True)
                continue;
            switch (Str(c, "type"))
            {
                case "Complete":
                    return (true, true, null);
                case "Failed":
                    var reason = Str(c, "reason") ?? "Failed";
                    return (true, false, Str(c, "message") is { Length: > 0 } message ? $"{reason}: {message}" : reason);
            }
        }
        return (false, false, null);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>
    /// The cleanup's first step: the views and the actions that made things go, and two actions delete the
    /// namespace (the Job, its pod and account with it) and the binding on the cluster.
    /// </summary>
    public IReadOnlyList<Intent> BeginCleanup(string cluster, PreflightObserved seen)
    {
        ArgumentNullException.ThrowIfNull(seen);
        var intents = new List<Intent>();
        foreach (var name in SpokeNames.PreflightViews)
        {
            if (seen.Views.ContainsKey(name))
                intents.Add(new DeleteIntent(Kinds.ManagedClusterView, cluster, name));
        }
        foreach (var name in SpokeNames.PreflightCreateActions)
        {
            if (seen.Actions.ContainsKey(name))
                intents.Add(new DeleteIntent(Kinds.ManagedClusterAction, cluster, name));
        }
        foreach (var name in SpokeNames.PreflightDeleteActions)
        {
            // One of these not run yet deletes the same thing: it stays. One that ran already is made anew.
            if (seen.Actions.ContainsKey(name) && Completed(seen, name) is null)
                continue;
            if (seen.Actions.ContainsKey(name))
                intents.Add(new DeleteIntent(Kinds.ManagedClusterAction, cluster, name));
            var body = name == SpokeNames.PreflightNsDelete
                ? SpokeResources.Delete(cluster, name, "namespace", SpokeNames.PreflightNamespace)
                : SpokeResources.Delete(cluster, name, "clusterrolebinding", SpokeNames.PreflightAgent);
            Ensure(PreflightObserved.Nothing, intents, body);
        }
        return intents;
    }

    /// <summary>The cleanup's next steps: each delete action goes once RHACM ran it. Done when none is left.</summary>
    public static (IReadOnlyList<Intent> Intents, bool Done) AdvanceCleanup(string cluster, PreflightObserved seen)
    {
        ArgumentNullException.ThrowIfNull(seen);
        var intents = new List<Intent>();
        var done = true;
        foreach (var name in SpokeNames.PreflightDeleteActions)
        {
            if (!seen.Actions.ContainsKey(name))
                continue;
            if (Completed(seen, name) is not null)
                intents.Add(new DeleteIntent(Kinds.ManagedClusterAction, cluster, name));
            else
                done = false;
        }
        return (intents, done);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private bool DeleteStale(string cluster, PreflightObserved seen, List<Intent> intents)
    {
        var any = false;
        foreach (var (name, view) in seen.Views)
        {
            if (RunOf(view.Metadata) == Run) continue;
            intents.Add(new DeleteIntent(Kinds.ManagedClusterView, cluster, name));
            any = true;
        }
        foreach (var (name, action) in seen.Actions)
        {
            if (RunOf(action.Metadata) == Run) continue;
            intents.Add(new DeleteIntent(Kinds.ManagedClusterAction, cluster, name));
            any = true;
        }
        return any;
    }

    private static string? RunOf(ObjectMeta meta) => meta.Annotation(RunAnnotation);

    /// <summary>Creates the object, marked as this run's, unless the hub already holds it.</summary>
    private void Ensure(PreflightObserved seen, List<Intent> intents, IKubeObject body)
    {
        var name = body.Metadata.Name ?? "";
        var exists = body is ManagedClusterView ? seen.Views.ContainsKey(name) : seen.Actions.ContainsKey(name);
        if (exists)
            return;
        var meta = body.Metadata with { Labels = _labels, Annotations = _annotations };
        IKubeObject marked = body switch
        {
            ManagedClusterView v => v with { Metadata = meta },
            ManagedClusterAction a => a with { Metadata = meta },
            _ => body,
        };
        intents.Add(new ApplyIntent(ApplyMode.Create, marked));
    }

    private ManagedClusterView NamespaceView(string cluster) =>
        SpokeResources.View(cluster, SpokeNames.ViewPreflightNamespace, "namespaces", SpokeNames.PreflightNamespace, null, _viewInterval);

    private ManagedClusterView JobView(string cluster) =>
        SpokeResources.View(cluster, SpokeNames.ViewPreflightJob, "jobs", SpokeNames.PreflightAgent, SpokeNames.PreflightNamespace, _viewInterval);

    /// <summary>What the namespace view says: true found, false not found, null not yet known.</summary>
    private static bool? NamespaceState(PreflightObserved seen)
    {
        if (!seen.Views.TryGetValue(SpokeNames.ViewPreflightNamespace, out var view) || view.Status?.Conditions is null)
            return null;
        var (found, error) = SpokeResources.Processing(view);
        return found ? true : error is null ? false : null;
    }

    /// <summary>The action's Completed condition, once RHACM ran it (True: done; False: it failed).</summary>
    private static Condition? Completed(PreflightObserved seen, string action) =>
        seen.Actions.TryGetValue(action, out var a) ? Conditions.Find(a.Status?.Conditions, "Completed") : null;

    /// <summary>The first of the actions that failed for a reason other than finding its object there already.</summary>
    private static string? FailedAction(PreflightObserved seen, params string[] actions)
    {
        foreach (var name in actions)
        {
            if (Completed(seen, name) is { IsTrue: false } c && c.Status == ConditionStatus.False &&
                !(c.Message ?? "").Contains("already exists", StringComparison.Ordinal))
            {
                return $"action {name} failed on the cluster: {c.Message ?? c.Reason ?? "no message"}";
            }
        }
        return null;
    }
}
