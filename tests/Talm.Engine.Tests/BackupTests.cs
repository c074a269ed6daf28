using System.Text.Json;

namespace Talm.Engine.Tests;

/// <summary>
/// The backup before the first batch (backup.go: reconcileBackup, triggerBackup, backupPreparing,
/// backupStarting, backupActive, checkAllBackupDone; managedClusterResources.go for the views and
/// actions): every transition, the 1200 s limit, the clean-up after a success, and the counts.
/// </summary>
public sealed class BackupTests
{
    /// <summary>A CGU with backup over c1..cN, past its first backup pass (every cluster Starting).</summary>
    private static FakeHub Started(int clusters = 1)
    {
        var hub = Fixtures.Hub(clusters: clusters, maxConcurrency: clusters, backup: true);
        hub.Settle();
        return hub;
    }

    private static FakeHub InState(string state, int clusters = 1)
    {
        var hub = Started(clusters);
        hub.PatchStatus(s => s.Backup!.Status = Fixtures.Names(clusters).ToDictionary(c => c, _ => state));
        return hub;
    }

    private static string State(FakeHub hub, string cluster = "c1") => hub.Status.Backup!.Status![cluster];

    [Fact]
    public void The_first_pass_clears_leftovers_deletes_the_spoke_namespace_and_waits_with_backup_before_progressing()
    {
        var hub = Fixtures.Hub(clusters: 2, maxConcurrency: 2, backup: true);
        var d = hub.Settle();
        Assert.Equal(
        [
            "delete ManagedClusterView c1/view-backup-job", "delete ManagedClusterView c1/view-backup-namespace",
            "delete ManagedClusterAction c1/backup-ns-create", "delete ManagedClusterAction c1/backup-sa-create",
            "delete ManagedClusterAction c1/backup-crb-create", "delete ManagedClusterAction c1/backup-job-create",
            "create ManagedClusterAction c1/backup-ns-delete", "create ManagedClusterAction c1/backup-crb-delete",
        ], Show.Ops(d, "c1"));
        Assert.Equal(new Dictionary<string, string> { ["c1"] = "Starting", ["c2"] = "Starting" }, hub.Status.Backup!.Status);
        Assert.Equal(hub.Now, hub.Status.Backup.StartedAt);
        Assert.Null(hub.Status.Backup.Clusters);
        // kuttl backup-*: BackupSuceeded comes before Progressing, so `oc get cgu` shows the backup in progress.
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            "Validated True ValidationCompleted: Completed validation",
            "BackupSuceeded False InProgress: Backup in progress for 2 clusters",
            "Progressing False NotStarted: Cluster backup is in progress",
        ], Show.Conditions(hub));
        Assert.Equal(TimeSpan.FromSeconds(30), d.RequeueAfter);
        Assert.Equal(hub.Now, hub.Progress.StartedAt);
        var ns = hub.Get<ManagedClusterAction>("c1", "backup-ns-delete")!;
        Assert.Equal("""{"actionType":"Delete","kube":{"resource":"namespace","name":"openshift-talo-backup"}}""", Show.Json(ns.Spec));
        var crb = hub.Get<ManagedClusterAction>("c1", "backup-crb-delete")!;
        Assert.Equal("""{"actionType":"Delete","kube":{"resource":"clusterrolebinding","name":"backup-agent"}}""", Show.Json(crb.Spec));
    }

    [Fact]
    public void Only_clusters_that_need_the_upgrade_are_backed_up()
    {
        var hub = Fixtures.Hub(clusters: 3, maxConcurrency: 3, backup: true);
        hub.Root("p").Compliance["c2"] = "Compliant";
        hub.Settle();
        Assert.Equal(["c1", "c3"], hub.Status.Backup!.Status!.Keys.Order());
    }

    [Fact]
    public void Without_a_recovery_image_a_cluster_stays_preparing()
    {
        var hub = Fixtures.Hub(clusters: 1, backup: true);
        hub.Settings = hub.Settings with { RecoveryImage = null };
        var d = hub.Settle();
        Assert.Equal("PreparingToStart", State(hub));
        Assert.DoesNotContain(Show.Ops(d, "c1"), o => o.StartsWith("create", StringComparison.Ordinal));
    }

    private static readonly Dictionary<string, Func<string, ManagedClusterView>> ViewsBy = new()
    {
        ["ns:none"] = _ => null!,
        ["ns:absent"] = c => Views.Absent(c, "view-backup-namespace"),
        ["ns:error"] = c => Views.Erroring(c, "view-backup-namespace"),
        ["ns:unfilled"] = c => Views.Unfilled(c, "view-backup-namespace"),
        ["ns:present"] = c => Views.Present(c, "view-backup-namespace"),
        ["job:absent"] = c => Views.Absent(c, "view-backup-job"),
        ["job:error"] = c => Views.Erroring(c, "view-backup-job"),
        ["job:active"] = c => Views.Job(c, "view-backup-job", """{"active":1}"""),
        ["job:succeeded"] = c => Views.Job(c, "view-backup-job", """{"succeeded":1}"""),
        ["job:deadline"] = c => Views.Job(c, "view-backup-job", """{"failed":1,"conditions":[{"type":"Complete","status":"False"},{"type":"Failed","status":"True","reason":"DeadlineExceeded"}]}"""),
        ["job:backoff"] = c => Views.Job(c, "view-backup-job", """{"failed":1,"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded"}]}"""),
        ["job:failed-false"] = c => Views.Job(c, "view-backup-job", """{"failed":1,"conditions":[{"type":"Failed","status":"False","reason":"DeadlineExceeded"}]}"""),
        ["job:other-reason"] = c => Views.Job(c, "view-backup-job", """{"failed":1,"conditions":[{"type":"Failed","status":"True","reason":"PodFailurePolicy"}]}"""),
        ["job:nothing"] = c => Views.Job(c, "view-backup-job", "{}"),
        ["job:no-status"] = c => Views.Present(c, "view-backup-job", """{"metadata":{"name":"backup-agent"}}"""),
        ["cluster:unavailable"] = _ => null!,
    };

    public static TheoryData<string, string, string, string> Transitions => new()
    {
        // state, what the views say, next state, the cluster's hub changes
        { "Starting", "", "Starting", "create ManagedClusterAction c1/backup-ns-create, create ManagedClusterAction c1/backup-sa-create, create ManagedClusterAction c1/backup-crb-create, create ManagedClusterView c1/view-backup-namespace" },
        { "Starting", "ns:absent", "Starting", "create ManagedClusterAction c1/backup-ns-create, create ManagedClusterAction c1/backup-sa-create, create ManagedClusterAction c1/backup-crb-create" },
        { "Starting", "ns:error", "Starting", "" },
        { "Starting", "ns:unfilled", "Starting", "" },
        { "Starting", "ns:present", "Starting", "delete ManagedClusterView c1/view-backup-job, create ManagedClusterAction c1/backup-job-create, create ManagedClusterView c1/view-backup-job" },
        { "Starting", "ns:present job:absent", "Starting", "delete ManagedClusterView c1/view-backup-job, create ManagedClusterAction c1/backup-job-create, create ManagedClusterView c1/view-backup-job" },
        { "Starting", "ns:present job:error", "Starting", "" },
        { "Starting", "ns:present job:active", "Active", "" },
        { "Starting", "ns:present job:succeeded", "Succeeded", "delete ManagedClusterView c1/view-backup-job, delete ManagedClusterView c1/view-backup-namespace, create ManagedClusterAction c1/backup-ns-delete, create ManagedClusterAction c1/backup-crb-delete" },
        { "Starting", "ns:present job:deadline", "BackupTimeout", "" },
        { "Starting", "ns:present job:backoff", "UnrecoverableError", "" },
        { "Starting", "ns:present job:nothing", "Starting", "" },
        { "Starting", "ns:present job:no-status", "Starting", "" },
        { "Active", "job:active", "Active", "" },
        { "Active", "job:active cluster:unavailable", "Active", "" },
        { "Active", "job:succeeded", "Succeeded", "delete ManagedClusterView c1/view-backup-job, delete ManagedClusterView c1/view-backup-namespace, create ManagedClusterAction c1/backup-ns-delete, create ManagedClusterAction c1/backup-crb-delete" },
        { "Active", "job:deadline", "BackupTimeout", "" },
        { "Active", "job:backoff", "UnrecoverableError", "" },
        { "Active", "job:failed-false", "Active", "" },
        { "Active", "job:other-reason", "Active", "" },
        { "Active", "", "Active", "" },
        { "Active", "job:absent", "Active", "" },
        { "Succeeded", "job:backoff", "Succeeded", "" },
        { "BackupTimeout", "job:succeeded", "BackupTimeout", "" },
        { "UnrecoverableError", "job:succeeded", "UnrecoverableError", "" },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void Each_state_moves_on_what_the_views_say(string from, string views, string to, string ops)
    {
        var hub = InState(from, clusters: 2);
        foreach (var v in views.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (v == "cluster:unavailable")
                hub.Unreachable.Add("c1");
            else
                hub.Put(ViewsBy[v]("c1"));
        }
        // The delete actions already exist from the first pass; remove them to see them created again on success.
        hub.Remove("ManagedClusterAction", "c1", "backup-ns-delete");
        hub.Remove("ManagedClusterAction", "c1", "backup-crb-delete");
        var d = hub.Decide();
        Assert.Equal(to, State(hub));
        Assert.Equal(ops, string.Join(", ", Show.Ops(d, "c1")));
        var finished = d.Events.Where(e => e.BackupCluster == "c1").ToList();
        Assert.Equal(from != to && BackupStates.IsFinal(to), finished.Count == 1);
    }

    [Fact]
    public void An_unknown_state_fails_the_reconcile()
    {
        var hub = InState("Starting", clusters: 2);
        hub.PatchStatus(s => s.Backup!.Status!["c2"] = "Bogus");
        var d = hub.Decide();
        Assert.Equal("[triggerBackup] unknown state Bogus", d.Error);
        Assert.False(d.StatusChanged);
    }

    [Fact]
    public void The_backup_job_is_the_references()
    {
        var hub = InState("Starting");
        hub.Put(Views.Present("c1", "view-backup-namespace"));
        hub.Decide();
        var action = hub.Get<ManagedClusterAction>("c1", "backup-job-create")!;
        Assert.Equal(("Create", "job", "openshift-talo-backup"), (action.Spec.ActionType, action.Spec.Kube!.Resource, action.Spec.Kube.Namespace));
        var job = action.Spec.Kube.Template!.Value;
        Assert.Equal("""{"name":"backup-agent","namespace":"openshift-talo-backup","annotations":{"target.workload.openshift.io/management":"{\u0022effect\u0022:\u0022PreferredDuringScheduling\u0022}"}}""", job.GetProperty("metadata").GetRawText());
        var spec = job.GetProperty("spec");
        Assert.Equal(("480", "0"), (Show.Str(spec, "activeDeadlineSeconds"), Show.Str(spec, "backoffLimit")));
        var pod = spec.GetProperty("template").GetProperty("spec");
        Assert.Equal(("Never", "backup-agent"), (Show.Str(pod, "restartPolicy"), Show.Str(pod, "serviceAccountName")));
        var container = Assert.Single(pod.GetProperty("containers").EnumerateArray());
        Assert.Equal(("container-image", "quay.io/talm/recovery:test", """["launchBackup"]""", """{"privileged":true,"runAsUser":0}""", "true"),
            (Show.Str(container, "name"), Show.Str(container, "image"), container.GetProperty("args").GetRawText(), container.GetProperty("securityContext").GetRawText(), Show.Str(container, "tty")));
        // (host path, read-only, hostPath type) in the reference's order; "/host" itself is an emptyDir.
        (string Path, bool ReadOnly, string Type)[] paths =
        [
            ("/boot", true, "Directory"), ("/dev/log", false, "Socket"), ("/etc", false, "Directory"), ("/proc", true, "Directory"),
            ("/run", false, "Directory"), ("/sysroot", false, "Directory"), ("/tmp", false, "Directory"), ("/usr/bin", true, "Directory"),
            ("/usr/lib", true, "Directory"), ("/usr/lib64", true, "Directory"), ("/usr/libexec", true, "Directory"), ("/usr/local", true, "Directory"),
            ("/usr/share/containers", true, "Directory"), ("/var/lib", false, "Directory"), ("/var/recovery", false, "DirectoryOrCreate"),
            ("/var/tmp", false, "Directory"), ("/sys/fs/cgroup", true, "Directory"),
        ];
        var mounts = container.GetProperty("volumeMounts").EnumerateArray().ToList();
        var volumes = pod.GetProperty("volumes").EnumerateArray().ToList();
        Assert.Equal(("host", "/host", "{}"), (Show.Str(mounts[0], "name"), Show.Str(mounts[0], "mountPath"), volumes[0].GetProperty("emptyDir").GetRawText()));
        Assert.Equal(paths.Length + 1, mounts.Count);
        Assert.Equal(paths.Length + 1, volumes.Count);
        for (var i = 0; i < paths.Length; i++)
        {
            var (path, ro, type) = paths[i];
            Assert.Equal("/host" + path, Show.Str(mounts[i + 1], "mountPath"));
            Assert.Equal(ro, mounts[i + 1].TryGetProperty("readOnly", out var r) && r.GetBoolean());
            Assert.Equal(Show.Str(mounts[i + 1], "name"), Show.Str(volumes[i + 1], "name"));
            Assert.Equal((path, type), (Show.Str(volumes[i + 1], "hostPath", "path"), Show.Str(volumes[i + 1], "hostPath", "type")));
        }
        var view = hub.Get<ManagedClusterView>("c1", "view-backup-job")!;
        Assert.Equal("""{"resource":"jobs","name":"backup-agent","namespace":"openshift-talo-backup"}""", Show.Json(view.Spec.Scope));
    }

    [Fact]
    public void The_backup_dependencies_are_the_references()
    {
        var hub = InState("Starting");
        hub.Decide();
        string Template(string name) => hub.Get<ManagedClusterAction>("c1", name)!.Spec.Kube!.Template!.Value.GetRawText();
        Assert.Equal("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"openshift-talo-backup","labels":{"pod-security.kubernetes.io/enforce":"privileged"},"annotations":{"workload.openshift.io/allowed":"management"}}}""", Template("backup-ns-create"));
        Assert.Equal("""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"backup-agent","namespace":"openshift-talo-backup"}}""", Template("backup-sa-create"));
        Assert.Equal("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"backup-agent"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"backup-agent","namespace":"openshift-talo-backup"}]}""", Template("backup-crb-create"));
        Assert.Equal("""{"resource":"namespaces","name":"openshift-talo-backup"}""", Show.Json(hub.Get<ManagedClusterView>("c1", "view-backup-namespace")!.Spec.Scope));
        Assert.Equal(["namespace", "serviceaccount", "clusterrolebinding"], new[] { "backup-ns-create", "backup-sa-create", "backup-crb-create" }.Select(n => hub.Get<ManagedClusterAction>("c1", n)!.Spec.Kube!.Resource));
    }

    [Theory]
    [InlineData(1200, "Active", "Starting")]
    [InlineData(1201, "BackupTimeout", "BackupTimeout")]
    public void Backups_not_finished_1200_seconds_after_they_started_time_out(int seconds, string active, string starting)
    {
        var hub = InState("Active", clusters: 4);
        hub.PatchStatus(s => s.Backup!.Status = new Dictionary<string, string> { ["c1"] = "Active", ["c2"] = "Starting", ["c3"] = "Succeeded", ["c4"] = "UnrecoverableError" });
        hub.Clock.Advance(TimeSpan.FromSeconds(seconds));
        hub.Decide();
        Assert.Equal(new Dictionary<string, string> { ["c1"] = active, ["c2"] = starting, ["c3"] = "Succeeded", ["c4"] = "UnrecoverableError" }, hub.Status.Backup!.Status);
    }

    public static TheoryData<string, string, string> Counts => new()
    {
        { "Succeeded Succeeded", "True BackupCompleted: Backup is completed for all clusters", "True InProgress: Remediating non-compliant policies" },
        { "Succeeded BackupTimeout UnrecoverableError", "True PartiallyDone: Backup failed for 2 clusters", "True InProgress: Remediating non-compliant policies" },
        { "Succeeded Active Starting UnrecoverableError", "False InProgress: Backup in progress for 2 clusters", "False NotStarted: Cluster backup is in progress" },
    };

    [Theory]
    [MemberData(nameof(Counts))]
    public void Backup_suceeded_counts_the_states(string states, string backup, string progressing)
    {
        var list = states.Split(' ');
        var hub = InState("Starting", clusters: list.Length);
        hub.PatchStatus(s => s.Backup!.Status = list.Select((state, i) => (state, i)).ToDictionary(x => $"c{x.i + 1}", x => x.state));
        hub.Settle();
        Assert.Equal(backup, Show.Condition(hub, ConditionTypes.BackupSucceeded));
        Assert.Equal(progressing, Show.Condition(hub, ConditionTypes.Progressing));
        Assert.Equal("BackupSuceeded", hub.Status.Conditions![2].Type);
        if (progressing.Contains("InProgress", StringComparison.Ordinal))
            Assert.Equal([[.. list.Select((s, i) => (s, i)).Where(x => x.s == "Succeeded").Select(x => $"c{x.i + 1}")]], hub.Status.RemediationPlan);
    }

    [Fact]
    public void Ours_when_every_backup_failed_the_cgu_ends_instead_of_waiting_for_ever()
    {
        // Deviation (Reconcile/Deviations.cs, docs/compatibility.md): the reference stays "Cluster backup is in progress".
        var hub = InState("Active", clusters: 2);
        hub.Put(ViewsBy["job:backoff"]("c1"));
        hub.Put(ViewsBy["job:deadline"]("c2"));
        var d = hub.Decide();
        const string message = "No clusters available for remediation (Backup failed)";
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            "Validated True ValidationCompleted: Completed validation",
            "BackupSuceeded False Failed: Backup failed for all clusters",
            $"Progressing False Completed: {message}",
            $"Succeeded False Failed: {message}",
        ], Show.Conditions(hub));
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        hub.Decide();
        Assert.NotNull(hub.Progress.CompletedAt);
        // Finishing cleans the failed clusters' backup objects up.
        Assert.Null(hub.Get<ManagedClusterView>("c1", "view-backup-job"));
        Assert.Equal("CguTimedout", hub.Events[^1].Reason);
    }

    [Fact]
    public void A_partly_failed_backup_upgrades_the_others_and_keeps_the_failed_ones_out_of_every_batch()
    {
        var hub = Fixtures.Hub(clusters: 3, maxConcurrency: 1, backup: true);
        hub.JobScript[("c2", "backup-agent")] = ("BackoffLimitExceeded", 1);
        var placed = new HashSet<string>();
        hub.RunUntilTerminal(TimeSpan.FromSeconds(30), 60, h =>
        {
            foreach (var p in h.All<Placement>())
                placed.UnionWith(p.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0].Values ?? []);
        });
        Assert.Equal("Succeeded True Completed: All clusters are compliant with all the managed policies", Show.Last(hub));
        Assert.Equal(new Dictionary<string, string> { ["c1"] = "Succeeded", ["c2"] = "UnrecoverableError", ["c3"] = "Succeeded" }, hub.Status.Backup!.Status);
        Assert.Equal([["c1"], ["c3"]], hub.Status.RemediationPlan);
        Assert.Equal(["c1", "c3"], placed.Order());
        Assert.Equal(["c1", "c3"], hub.Status.Clusters!.Select(c => c.Name));
        Assert.Equal("NonCompliant", hub.Root("p").Compliance["c2"]);
        Assert.Equal(["Succeeded", "UnrecoverableError", "Succeeded"], hub.Events.Where(e => e.BackupState is not null).OrderBy(e => e.BackupCluster).Select(e => e.BackupState));
        // What c2 left on its spoke is removed when the CGU finishes.
        hub.Tick();
        Assert.Null(hub.Get<ManagedClusterView>("c2", "view-backup-job"));
        Assert.Null(hub.Get<ManagedClusterAction>("c2", "backup-job-create"));
        Assert.DoesNotContain(hub.SpokeResources("c2"), r => r.Resource == "namespace" && r.Name == "openshift-talo-backup");
    }

    [Fact]
    public void Ours_a_canary_whose_backup_failed_is_left_out_not_reported_complete()
    {
        // The reference's buildRemediationPlan counts a canary that is not in the (filtered) cluster list as
        // compliant, lists it as complete and labels it done; talm leaves it out (Deviations.CanaryCountsAsComplete).
        var cgu = Fixtures.Cgu(["c1", "c2"], ["p"], maxConcurrency: 1, backup: true, canaries: ["c1"])
            .WithSpec(s => s with { Actions = new CguActions { AfterCompletion = new AfterCompletionActions { AddClusterLabels = Show.Map(("ztp-done", "")) } } });
        var hub = Fixtures.Fleet(cgu, 2, "p");
        hub.JobScript[("c1", "backup-agent")] = ("BackoffLimitExceeded", 1);
        for (var i = 0; i < 12 && hub.Condition(ConditionTypes.Progressing) is not { IsTrue: true }; i++)
        {
            hub.Tick();
            hub.Clock.Advance(TimeSpan.FromSeconds(30));
            hub.Settle();
        }
        Assert.Equal([["c2"]], hub.Status.RemediationPlan);
        Assert.DoesNotContain(hub.Status.Clusters ?? [], c => c.Name == "c1");
        Assert.DoesNotContain(hub.ClusterChanges, c => c.Cluster == "c1");
    }

    [Fact]
    public void Ours_at_most_the_configured_number_of_clusters_step_per_decision()
    {
        var hub = Fixtures.Hub(clusters: 5, maxConcurrency: 5, backup: true);
        hub.Settings = hub.Settings with { ClusterStepsPerDecision = 2 };
        hub.Decide();
        var d = hub.Decide();
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        Assert.Equal(new Dictionary<string, string> { ["c1"] = "Starting", ["c2"] = "Starting", ["c3"] = "PreparingToStart", ["c4"] = "PreparingToStart", ["c5"] = "PreparingToStart" }, hub.Status.Backup!.Status);
        Assert.Empty(Show.Ops(d, "c3"));
        Assert.Equal("False InProgress: Backup in progress for 5 clusters", Show.Condition(hub, ConditionTypes.BackupSucceeded));
        for (var i = 0; i < 6 && hub.Status.Backup!.Status!.ContainsValue("PreparingToStart"); i++)
        {
            d = hub.Decide();
            Assert.True(d.Intents.Select(x => x is ApplyIntent a ? a.Namespace : x is DeleteIntent del ? del.Namespace : null).OfType<string>().Where(ns => ns.StartsWith('c')).Distinct().Count() <= 2);
        }
        Assert.All(hub.Status.Backup!.Status!.Values, s => Assert.Equal("Starting", s));
    }

    [Fact]
    public void The_backup_map_in_the_snapshot_is_never_written_into()
    {
        var hub = InState("Active", clusters: 3);
        hub.Put(ViewsBy["job:succeeded"]("c2"));
        var before = hub.Status.Backup!.Status!;
        var copy = new Dictionary<string, string>(before);
        var d = hub.Engine.Decide(hub.Snapshot(), hub.Now);
        Assert.Equal(copy, before);
        Assert.Equal("Succeeded", d.Status.Backup!.Status!["c2"]);
        Assert.NotSame(before, d.Status.Backup.Status);
    }
}
