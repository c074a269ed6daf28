using System.Text.Json;
using Talm.Api.Agent;
using Talm.Api.Json;
using Talm.Engine.Preflight;
using Talm.Engine.Reconcile;

namespace Talm.Engine.Tests;

/// <summary>
/// Ours: which clusters a CGU's backup would run on (<see cref="BackupTargets"/>), and one cluster's pre-flight
/// through RHACM step by step (<see cref="PreflightFlow"/>): what it makes, when it moves on, how it reads the end.
/// </summary>
public sealed class PreflightTests
{
    // ---- the clusters ------------------------------------------------------------------------------

    [Fact]
    public void The_targets_are_the_clusters_that_need_the_upgrade_in_the_plan_s_order()
    {
        var hub = Fixtures.Hub(clusters: 4, maxConcurrency: 2, backup: true, canaries: ["c4"]);
        hub.Root("p").Compliance["c2"] = "Compliant";
        var before = KubeJson.Serialize(hub.Cgu);
        var targets = BackupTargets.Resolve(hub.Snapshot(), hub.Now);
        Assert.Null(targets.Error);
        Assert.Equal(["c4", "c1", "c3"], targets.Clusters); // the canary's batch comes first
        Assert.Equal(["c2"], targets.Compliant);
        Assert.Equal(["c1", "c2", "c3", "c4"], targets.Selected);
        Assert.Equal(before, KubeJson.Serialize(hub.Cgu)); // the CGU itself is not touched
    }

    [Fact]
    public void Clusters_whose_pre_caching_failed_are_left_out_and_those_still_pre_caching_are_not()
    {
        var hub = Fixtures.Hub(clusters: 3, maxConcurrency: 3, backup: true, preCaching: true);
        hub.PatchStatus(s => s.Precaching = new PrecachingStatus
        {
            Status = new() { ["c1"] = PrecacheStates.Active, ["c2"] = PrecacheStates.UnrecoverableError, ["c3"] = PrecacheStates.Succeeded },
        });
        var targets = BackupTargets.Resolve(hub.Snapshot(), hub.Now);
        Assert.Equal(["c1", "c3"], targets.Clusters);
        Assert.Equal(["c2"], targets.PrecacheFailed);
    }

    [Fact]
    public void A_CGU_that_does_not_validate_says_why_in_the_condition_s_words()
    {
        var hub = Fixtures.Hub(clusters: 2, backup: true);
        hub.Cgu = hub.Cgu.WithSpec(s => s with { ManagedPolicies = ["p", "gone"] });
        Assert.Equal("Missing managed policies: [gone]", BackupTargets.Resolve(hub.Snapshot(), hub.Now).Error);

        hub.Cgu = hub.Cgu.WithSpec(s => s with { ManagedPolicies = ["p"], Clusters = ["c1", "c9"] });
        Assert.Equal("Unable to select clusters: cluster c9 is not a ManagedCluster", BackupTargets.Resolve(hub.Snapshot(), hub.Now).Error);
    }

    // ---- one cluster's pre-flight -----------------------------------------------------------------

    private const string C = "c1";
    private static readonly PreflightFlow Flow = new("quay.io/talm/recovery:test", "run1", "ns/cgu", clusters: 3);

    private static PreflightObserved Seen(params IKubeObject[] objects) => new(
        objects.OfType<ManagedClusterView>().ToDictionary(v => v.Metadata.Name!, StringComparer.Ordinal),
        objects.OfType<ManagedClusterAction>().ToDictionary(a => a.Metadata.Name!, StringComparer.Ordinal));

    private static T Ours<T>(T o, string run = "run1") where T : IKubeObject
    {
        var meta = o.Metadata with { Annotations = new Dictionary<string, string> { [PreflightFlow.RunAnnotation] = run } };
        return o switch
        {
            ManagedClusterView v => (T)(IKubeObject)(v with { Metadata = meta }),
            ManagedClusterAction a => (T)(IKubeObject)(a with { Metadata = meta }),
            _ => o,
        };
    }

    private static ManagedClusterAction Action(string name, string? completed = null, string? message = null) => Ours(new ManagedClusterAction
    {
        Metadata = new ObjectMeta { Name = name, Namespace = C },
        Status = completed is null ? null : new ManagedClusterActionStatus { Conditions = [new Condition { Type = "Completed", Status = completed, Message = message }] },
    });

    private static ManagedClusterView NsGone => Ours(Views.Absent(C, "talm-preflight-ns-view"));
    private static ManagedClusterView NsThere => Ours(Views.Present(C, "talm-preflight-ns-view"));

    private static ManagedClusterView JobView(string status, PreflightReport? report = null) => Ours(Views.Present(C, "talm-preflight-job-view",
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["metadata"] = new Dictionary<string, object>
            {
                ["name"] = "talm-preflight",
                ["annotations"] = report is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [PreflightReport.Annotation] = report.ToAnnotation() },
            },
            ["status"] = JsonDocument.Parse(status).RootElement,
        })));

    [Fact]
    public void It_clears_what_an_earlier_run_left_then_makes_the_namespace_then_the_Job()
    {
        // An earlier run's objects go first, and nothing of this run is made beside them.
        var stale = Flow.Advance(C, PreflightStage.Clearing, Seen(Ours(Views.Present(C, "talm-preflight-job-view"), run: "old"), Ours(Action("talm-preflight-job-create"), run: "old")));
        Assert.Equal(["delete ManagedClusterView c1/talm-preflight-job-view", "delete ManagedClusterAction c1/talm-preflight-job-create"], Show.Ops(stale.Intents));
        Assert.Equal(PreflightStage.Clearing, stale.Stage);

        // Then this run deletes the namespace and binding on the cluster (an earlier Job goes with them) and watches the namespace.
        var clear = Flow.Advance(C, PreflightStage.Clearing, PreflightObserved.Nothing);
        Assert.Equal(
        [
            "create ManagedClusterAction c1/talm-preflight-ns-delete", "create ManagedClusterAction c1/talm-preflight-crb-delete",
            "create ManagedClusterView c1/talm-preflight-ns-view",
        ], Show.Ops(clear.Intents));
        var nsDelete = (ManagedClusterAction)((ApplyIntent)clear.Intents[0]).Body;
        Assert.Equal("""{"actionType":"Delete","kube":{"resource":"namespace","name":"openshift-talo-preflight"}}""", Show.Json(nsDelete.Spec));
        Assert.Equal("true", nsDelete.Metadata.Label(PreflightFlow.Label));
        Assert.Equal("run1", nsDelete.Metadata.Annotation(PreflightFlow.RunAnnotation));
        Assert.Equal("ns/cgu", nsDelete.Metadata.Annotation(PreflightFlow.CguAnnotation));
        var view = (ManagedClusterView)((ApplyIntent)clear.Intents[2]).Body;
        Assert.Equal(("namespaces", "openshift-talo-preflight", 10), (view.Spec.Scope.Resource, view.Spec.Scope.Name, view.Spec.Scope.UpdateIntervalSeconds));

        // It waits while the namespace is there, or a deletion has not run yet.
        Assert.Empty(Flow.Advance(C, PreflightStage.Clearing, Seen(Action("talm-preflight-ns-delete", "True"), Action("talm-preflight-crb-delete", "True"), NsThere)).Intents);
        var waiting = Flow.Advance(C, PreflightStage.Clearing, Seen(Action("talm-preflight-ns-delete", "True"), Action("talm-preflight-crb-delete"), NsGone));
        Assert.Equal((PreflightStage.Clearing, 0), (waiting.Stage, waiting.Intents.Count));

        // Both ran (a deletion that found nothing counts) and the namespace is gone: the new one is made.
        var prepare = Flow.Advance(C, PreflightStage.Clearing, Seen(Action("talm-preflight-ns-delete", "True"), Action("talm-preflight-crb-delete", "False", "clusterrolebindings \"talm-preflight\" not found"), NsGone));
        Assert.Equal(PreflightStage.Preparing, prepare.Stage);
        Assert.Equal(
        [
            "delete ManagedClusterAction c1/talm-preflight-ns-delete", "delete ManagedClusterAction c1/talm-preflight-crb-delete",
            "create ManagedClusterAction c1/talm-preflight-ns-create", "create ManagedClusterAction c1/talm-preflight-sa-create",
            "create ManagedClusterAction c1/talm-preflight-crb-create",
        ], Show.Ops(prepare.Intents));

        // Once the namespace is there, the Job and its view.
        var made = Seen(Action("talm-preflight-ns-create", "True"), Action("talm-preflight-sa-create", "True"), Action("talm-preflight-crb-create", "True"), NsThere);
        var run = Flow.Advance(C, PreflightStage.Preparing, made);
        Assert.Equal(PreflightStage.Running, run.Stage);
        Assert.Equal(["create ManagedClusterAction c1/talm-preflight-job-create", "create ManagedClusterView c1/talm-preflight-job-view"], Show.Ops(run.Intents));
        var jobAction = (ManagedClusterAction)((ApplyIntent)run.Intents[0]).Body;
        Assert.Equal(("job", "openshift-talo-preflight"), (jobAction.Spec.Kube!.Resource, jobAction.Spec.Kube.Namespace));
        var job = jobAction.Spec.Kube.Template!.Value;
        Assert.Equal("talm-preflight", job.GetProperty("metadata").GetProperty("name").GetString());
        var pod = job.GetProperty("spec").GetProperty("template").GetProperty("spec");
        Assert.Equal("talm-preflight", pod.GetProperty("serviceAccountName").GetString());
        Assert.Equal("""["launchBackup","--dry-run"]""", pod.GetProperty("containers")[0].GetProperty("args").GetRawText());
        // The backup Job's pod otherwise: the same volumes, mounts and privileges.
        var backupPod = BackupJob.Build("quay.io/talm/recovery:test").GetProperty("spec").GetProperty("template").GetProperty("spec");
        Assert.Equal(backupPod.GetProperty("volumes").GetRawText(), pod.GetProperty("volumes").GetRawText());
        Assert.Equal(backupPod.GetProperty("containers")[0].GetProperty("volumeMounts").GetRawText(), pod.GetProperty("containers")[0].GetProperty("volumeMounts").GetRawText());
        Assert.Equal(backupPod.GetProperty("containers")[0].GetProperty("securityContext").GetRawText(), pod.GetProperty("containers")[0].GetProperty("securityContext").GetRawText());
    }

    private static PreflightObserved Running(ManagedClusterView jobView, ManagedClusterAction? jobCreate = null) => Seen(
        Action("talm-preflight-ns-create", "True"), Action("talm-preflight-sa-create", "True"), Action("talm-preflight-crb-create", "True"), NsThere,
        jobCreate ?? Action("talm-preflight-job-create", "True"), jobView);

    private static PreflightReport Report(bool spaceOk) => new()
    {
        Ok = spaceOk,
        ExitCode = spaceOk ? 0 : 1,
        SpaceNeededBytes = 14L << 30,
        SpaceMarginBytes = 10L << 30,
        SpaceFreeBytes = spaceOk ? 120L << 30 : 20L << 30,
        Checks =
        [
            new() { Name = "space", Ok = spaceOk, ExitCode = 1, Message = spaceOk ? "14.0 GiB needed" : "insufficient disk space to trigger backup: 14.0 GiB needed" },
            new() { Name = "etcd", Ok = true, ExitCode = 3, Message = "answers" },
        ],
    };

    [Fact]
    public void The_end_is_read_from_the_agent_s_report_on_the_Job_else_from_the_Job_s_status()
    {
        var active = Flow.Advance(C, PreflightStage.Running, Running(JobView("""{"active":1,"startTime":"2026-03-01T08:00:00Z"}""")));
        Assert.Equal((PreflightStage.Running, "the Job runs", null), (active.Stage, active.Waiting, active.Outcome));

        const string failed = """{"failed":1,"startTime":"2026-03-01T08:00:00Z","conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit","lastTransitionTime":"2026-03-01T08:00:12Z"}]}""";
        var fails = Flow.Advance(C, PreflightStage.Running, Running(JobView(failed, Report(spaceOk: false))));
        Assert.Equal(PreflightStage.Finished, fails.Stage);
        Assert.Equal(PreflightResult.Failed, fails.Outcome!.Result);
        Assert.Equal("space: insufficient disk space to trigger backup: 14.0 GiB needed", fails.Outcome.Message);
        Assert.Equal((20L << 30, 12.0), (fails.Outcome.Report!.SpaceFreeBytes, fails.Outcome.JobSeconds));

        var passes = Flow.Advance(C, PreflightStage.Running, Running(JobView("""{"succeeded":1}""", Report(spaceOk: true))));
        Assert.Equal((PreflightResult.Passed, "the backup can run"), (passes.Outcome!.Result, passes.Outcome.Message));

        // No report: what the Job's status says, and where its log is.
        var silent = Flow.Advance(C, PreflightStage.Running, Running(JobView(failed)));
        Assert.Equal(PreflightResult.NoReport, silent.Outcome!.Result);
        Assert.StartsWith("the Job failed (BackoffLimitExceeded: Job has reached the specified backoff limit) before the agent reported; its log: oc logs -n openshift-talo-preflight job/talm-preflight",
            silent.Outcome.Message, StringComparison.Ordinal);

        // An action the cluster refused ends it at once.
        var refused = Flow.Advance(C, PreflightStage.Running, Running(Ours(Views.Absent(C, "talm-preflight-job-view")),
            Action("talm-preflight-job-create", "False", "jobs.batch is forbidden")));
        Assert.Equal((PreflightResult.Error, "action talm-preflight-job-create failed on the cluster: jobs.batch is forbidden"), (refused.Outcome!.Result, refused.Outcome.Message));
    }

    [Fact]
    public void The_cleanup_deletes_the_views_and_actions_and_the_namespace_on_the_cluster_then_its_own_actions()
    {
        var all = Running(JobView("""{"succeeded":1}"""));
        var first = Flow.BeginCleanup(C, all);
        Assert.Equal(
        [
            "delete ManagedClusterView c1/talm-preflight-ns-view", "delete ManagedClusterView c1/talm-preflight-job-view",
            "delete ManagedClusterAction c1/talm-preflight-ns-create", "delete ManagedClusterAction c1/talm-preflight-sa-create",
            "delete ManagedClusterAction c1/talm-preflight-crb-create", "delete ManagedClusterAction c1/talm-preflight-job-create",
            "create ManagedClusterAction c1/talm-preflight-ns-delete", "create ManagedClusterAction c1/talm-preflight-crb-delete",
        ], Show.Ops(first));

        // Until RHACM ran them, they stay (for when the cluster answers); then they go too.
        var pending = Seen(Action("talm-preflight-ns-delete"), Action("talm-preflight-crb-delete", "True"));
        var (second, notYet) = PreflightFlow.AdvanceCleanup(C, pending);
        Assert.False(notYet);
        Assert.Equal(["delete ManagedClusterAction c1/talm-preflight-crb-delete"], Show.Ops(second));
        var (last, finished) = PreflightFlow.AdvanceCleanup(C, Seen(Action("talm-preflight-ns-delete", "True")));
        Assert.True(finished);
        Assert.Equal(["delete ManagedClusterAction c1/talm-preflight-ns-delete"], Show.Ops(last));
    }

    [Fact]
    public void An_unavailable_cluster_is_not_tried_and_the_views_refresh_less_often_for_a_fleet()
    {
        Assert.Null(PreflightFlow.Unavailable(new ManagedCluster { Metadata = new ObjectMeta { Name = C } }));
        var gone = new ManagedCluster
        {
            Metadata = new ObjectMeta { Name = C },
            Status = new ManagedClusterStatus { Conditions = [new Condition { Type = ManagedCluster.AvailableCondition, Status = "Unknown", Message = "Registration agent stopped updating its lease." }] },
        };
        Assert.Equal("the hub reports it unavailable (Registration agent stopped updating its lease.)", PreflightFlow.Unavailable(gone));
        Assert.Equal((10, 10, 50, 60), (PreflightFlow.ViewUpdateInterval(1), PreflightFlow.ViewUpdateInterval(200), PreflightFlow.ViewUpdateInterval(1000), PreflightFlow.ViewUpdateInterval(10_000)));
    }
}
