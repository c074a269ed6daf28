using System.Text.Json;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

public sealed class BackupTests
{
    private static FakeHub Hub(int clusters = 1, int maxConcurrency = 1)
    {
        var names = Fixtures.Names(clusters);
        return Fixtures.Fleet(Fixtures.Cgu(names, ["p"], maxConcurrency: maxConcurrency, backup: true), clusters, "p");
    }

    private static List<string> Ops(Decision d, string cluster) => Describe(d.Intents, cluster);

    private static List<string> FollowUps(Decision d, string cluster) => Describe(d.FollowUps, cluster);

    private static List<string> Describe(IEnumerable<Intent> intents, string cluster) =>
        [.. intents.Select(i => i switch
        {
            ApplyIntent a when a.Namespace == cluster => $"create {a.Kind} {a.Name}",
            DeleteIntent del when del.Namespace == cluster => $"delete {del.Kind} {del.Name}",
            _ => null,
        }).OfType<string>()];

    private static FakeHub InState(string state, int clusters = 1)
    {
        var hub = Hub(clusters);
        hub.Decide(); // creates the map
        var st = hub.Status;
        foreach (var c in st.Backup!.Status!.Keys.ToList())
            st.Backup.Status[c] = state;
        return hub;
    }

    [Fact]
    public void First_decision_creates_the_map_and_clears_leftovers()
    {
        var hub = Hub();
        var d = hub.Decide();
        var backup = hub.Status.Backup!;
        Assert.Equal(FakeHub.T0, backup.StartedAt);
        Assert.Equal(new Dictionary<string, string> { ["c1"] = "Starting" }, backup.Status);
        Assert.Empty(backup.Clusters!);
        Assert.Equal(
        [
            "delete ManagedClusterView view-backup-job", "delete ManagedClusterView view-backup-namespace",
            "delete ManagedClusterAction backup-ns-create", "delete ManagedClusterAction backup-sa-create",
            "delete ManagedClusterAction backup-crb-create", "delete ManagedClusterAction backup-job-create",
            "create ManagedClusterAction backup-ns-delete", "create ManagedClusterAction backup-crb-delete",
        ], Ops(d, "c1"));
        var nsDelete = hub.Get<ManagedClusterAction>("c1", "backup-ns-delete")!;
        Assert.Equal(("Delete", "namespace", "openshift-talo-backup"), (nsDelete.Spec.ActionType, nsDelete.Spec.Kube!.Resource, nsDelete.Spec.Kube.Name));
        var crbDelete = hub.Get<ManagedClusterAction>("c1", "backup-crb-delete")!;
        Assert.Equal(("Delete", "clusterrolebinding", "backup-agent"), (crbDelete.Spec.ActionType, crbDelete.Spec.Kube!.Resource, crbDelete.Spec.Kube.Name));
        var p = hub.Condition(ConditionTypes.Progressing)!;
        Assert.Equal(("False", "NotStarted", "Cluster backup is in progress"), (p.Status, p.Reason, p.Message));
        var b = hub.Condition(ConditionTypes.BackupSucceeded)!;
        Assert.Equal(("False", "InProgress", "Backup in progress for 1 clusters"), (b.Status, b.Reason, b.Message));
        Assert.Equal(TimeSpan.FromSeconds(30), d.RequeueAfter);
        Assert.Equal(FakeHub.T0, hub.Status.Status!.StartedAt);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("absent")]
    public void Starting_without_the_namespace_creates_it_and_its_view(string how)
    {
        var hub = InState("Starting");
        if (how == "absent")
            hub.Put(Views.Absent("c1", "view-backup-namespace"));
        var d = hub.Decide();
        Assert.Equal(
        [
            "create ManagedClusterAction backup-ns-create", "create ManagedClusterAction backup-sa-create",
            "create ManagedClusterAction backup-crb-create", "create ManagedClusterView view-backup-namespace",
        ], Ops(d, "c1"));
        Assert.Equal("Starting", hub.Status.Backup!.Status!["c1"]);
        var ns = hub.Get<ManagedClusterAction>("c1", "backup-ns-create")!;
        Assert.Equal(("Create", "namespace"), (ns.Spec.ActionType, ns.Spec.Kube!.Resource));
        Assert.Equal(
            """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"openshift-talo-backup","labels":{"pod-security.kubernetes.io/enforce":"privileged"},"annotations":{"workload.openshift.io/allowed":"management"}}}""",
            ns.Spec.Kube.Template!.Value.GetRawText());
        var sa = hub.Get<ManagedClusterAction>("c1", "backup-sa-create")!;
        Assert.Equal(("serviceaccount", """{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"backup-agent","namespace":"openshift-talo-backup"}}"""),
            (sa.Spec.Kube!.Resource, sa.Spec.Kube.Template!.Value.GetRawText()));
        var crb = hub.Get<ManagedClusterAction>("c1", "backup-crb-create")!;
        Assert.Equal(("clusterrolebinding", """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"backup-agent"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"backup-agent","namespace":"openshift-talo-backup"}]}"""),
            (crb.Spec.Kube!.Resource, crb.Spec.Kube.Template!.Value.GetRawText()));
        var view = (ManagedClusterView)d.Intents.OfType<ApplyIntent>().Single(i => i.Name == "view-backup-namespace").Body;
        Assert.Equal(("namespaces", "openshift-talo-backup", (string?)null), (view.Spec.Scope.Resource, view.Spec.Scope.Name, view.Spec.Scope.Namespace));
    }

    [Fact]
    public void Starting_with_an_erroring_namespace_view_waits()
    {
        var hub = InState("Starting");
        hub.Put(Views.Erroring("c1", "view-backup-namespace"));
        var d = hub.Decide();
        Assert.Empty(Ops(d, "c1"));
        Assert.Equal("Starting", hub.Status.Backup!.Status!["c1"]);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("absent")]
    public void Starting_with_the_namespace_creates_the_job_and_its_view(string how)
    {
        var hub = InState("Starting");
        hub.Put(Views.Present("c1", "view-backup-namespace"));
        if (how == "absent")
            hub.Put(Views.Absent("c1", "view-backup-job"));
        var d = hub.Decide();
        Assert.Equal(["create ManagedClusterView view-backup-job", "create ManagedClusterAction backup-job-create"], Ops(d, "c1"));
        var view = (ManagedClusterView)d.Intents.OfType<ApplyIntent>().Single(i => i.Name == "view-backup-job").Body;
        Assert.Equal(("jobs", "backup-agent", "openshift-talo-backup"), (view.Spec.Scope.Resource, view.Spec.Scope.Name, view.Spec.Scope.Namespace));
        var job = hub.Get<ManagedClusterAction>("c1", "backup-job-create")!;
        Assert.Equal(("Create", "job", "openshift-talo-backup"), (job.Spec.ActionType, job.Spec.Kube!.Resource, job.Spec.Kube.Namespace));
    }

    [Fact]
    public void The_backup_job_matches_the_contract()
    {
        var hub = InState("Starting");
        hub.Put(Views.Present("c1", "view-backup-namespace"));
        hub.Decide();
        var job = hub.Get<ManagedClusterAction>("c1", "backup-job-create")!.Spec.Kube!.Template!.Value;
        const string annotation = """{"target.workload.openshift.io/management":"{\u0022effect\u0022:\u0022PreferredDuringScheduling\u0022}"}""";
        Assert.Equal(("batch/v1", "Job", "backup-agent", "openshift-talo-backup"),
            (S(job, "apiVersion"), S(job, "kind"), S(job, "metadata", "name"), S(job, "metadata", "namespace")));
        Assert.Equal("""{"effect":"PreferredDuringScheduling"}""", job.GetProperty("metadata").GetProperty("annotations").GetProperty("target.workload.openshift.io/management").GetString());
        var spec = job.GetProperty("spec");
        Assert.Equal((480, 0), (spec.GetProperty("activeDeadlineSeconds").GetInt32(), spec.GetProperty("backoffLimit").GetInt32()));
        var template = spec.GetProperty("template");
        Assert.Equal("backup-agent", S(template, "metadata", "name"));
        Assert.Equal(JsonSerializer.Serialize(JsonDocument.Parse(annotation).RootElement), template.GetProperty("metadata").GetProperty("annotations").GetRawText());
        var pod = template.GetProperty("spec");
        Assert.Equal(("Never", "backup-agent"), (S(pod, "restartPolicy"), S(pod, "serviceAccountName")));
        var container = Assert.Single(pod.GetProperty("containers").EnumerateArray());
        Assert.Equal(("container-image", "quay.io/talm/recovery:test", """["launchBackup"]""", """{"privileged":true,"runAsUser":0}""", true),
            (S(container, "name"), S(container, "image"), container.GetProperty("args").GetRawText(), container.GetProperty("securityContext").GetRawText(), container.GetProperty("tty").GetBoolean()));

        string[] names = ["host", "host-boot", "host-dev-log", "host-etc", "host-proc", "host-run", "host-sysroot", "host-tmp", "host-usr-bin",
            "host-usr-lib", "host-usr-lib64", "host-usr-libexec", "host-usr-local", "host-usr-share-containers", "host-var-lib",
            "host-var-recovery", "host-var-tmp", "sys-fs-cgroup"];
        string[] paths = ["", "/boot", "/dev/log", "/etc", "/proc", "/run", "/sysroot", "/tmp", "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec",
            "/usr/local", "/usr/share/containers", "/var/lib", "/var/recovery", "/var/tmp", "/sys/fs/cgroup"];
        string[] readOnly = ["/boot", "/proc", "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/local", "/usr/share/containers", "/sys/fs/cgroup"];
        var volumes = pod.GetProperty("volumes").EnumerateArray().ToList();
        var mounts = container.GetProperty("volumeMounts").EnumerateArray().ToList();
        Assert.Equal(names, volumes.Select(v => S(v, "name")));
        Assert.Equal(names, mounts.Select(v => S(v, "name")));
        Assert.Equal("{}", volumes[0].GetProperty("emptyDir").GetRawText());
        for (var i = 1; i < names.Length; i++)
        {
            Assert.Equal(paths[i], S(volumes[i], "hostPath", "path"));
            var type = paths[i] switch { "/dev/log" => "Socket", "/var/recovery" => "DirectoryOrCreate", _ => "Directory" };
            Assert.Equal(type, S(volumes[i], "hostPath", "type"));
            Assert.Equal("/host" + paths[i], S(mounts[i], "mountPath"));
            Assert.Equal(readOnly.Contains(paths[i]), mounts[i].TryGetProperty("readOnly", out var ro) && ro.GetBoolean());
        }
        Assert.Equal("/host", S(mounts[0], "mountPath"));
    }

    [Theory]
    [InlineData("Starting", """{"active":1}""", "Active")]
    [InlineData("Starting", """{"succeeded":1}""", "Succeeded")]
    [InlineData("Active", """{"active":1}""", "Active")]
    [InlineData("Active", """{"succeeded":1}""", "Succeeded")]
    [InlineData("Active", """{"failed":1,"conditions":[{"type":"Complete","status":"False"},{"type":"Failed","status":"True","reason":"DeadlineExceeded"}]}""", "BackupTimeout")]
    [InlineData("Active", """{"failed":1,"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded"}]}""", "UnrecoverableError")]
    [InlineData("Active", """{"failed":1,"conditions":[{"type":"Failed","status":"False","reason":"DeadlineExceeded"}]}""", "Active")]
    [InlineData("Active", """{}""", "Active")]
    [InlineData("Starting", """{"active":2,"succeeded":1}""", "Active")]
    public void Job_status_drives_the_state(string from, string jobStatus, string to)
    {
        var hub = InState(from);
        hub.Put(Views.Present("c1", "view-backup-namespace"));
        hub.Put(Views.Job("c1", "view-backup-job", jobStatus));
        hub.Decide();
        Assert.Equal(to, hub.Status.Backup!.Status!["c1"]);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("absent")]
    [InlineData("error")]
    public void Active_without_a_readable_job_stays_active(string how)
    {
        var hub = InState("Active");
        if (how == "absent")
            hub.Put(Views.Absent("c1", "view-backup-job"));
        if (how == "error")
            hub.Put(Views.Erroring("c1", "view-backup-job"));
        var d = hub.Decide();
        Assert.Equal("Active", hub.Status.Backup!.Status!["c1"]);
        Assert.Empty(Ops(d, "c1"));
    }

    [Fact]
    public void Success_removes_the_views_and_creates_the_delete_actions()
    {
        var hub = InState("Active", clusters: 2);
        hub.Put(Views.Job("c1", "view-backup-job", """{"succeeded":1}"""));
        var d = hub.Decide();
        // After the status write, delete actions first: views left behind mean the clean-up is unfinished.
        Assert.Empty(Ops(d, "c1"));
        Assert.Equal(
        [
            "create ManagedClusterAction backup-ns-delete", "create ManagedClusterAction backup-crb-delete",
            "delete ManagedClusterView view-backup-job", "delete ManagedClusterView view-backup-namespace",
        ], FollowUps(d, "c1"));
        var e = Assert.Single(d.Events, e => e.Kind == EngineEventKind.BackupFinished);
        Assert.Equal(("c1", "Succeeded", false), (e.Cluster, e.Detail, e.Warning));
        var b = hub.Condition(ConditionTypes.BackupSucceeded)!;
        Assert.Equal(("False", "InProgress", "Backup in progress for 1 clusters"), (b.Status, b.Reason, b.Message));
    }

    [Theory]
    [InlineData(1199, "Active")]
    [InlineData(1200, "BackupTimeout")]
    [InlineData(5000, "BackupTimeout")]
    public void The_hub_limit_ends_any_unfinished_backup_1200_seconds_after_it_started(int seconds, string expected)
    {
        var hub = InState("Active");
        hub.Clock.Advance(TimeSpan.FromSeconds(seconds));
        hub.Decide();
        Assert.Equal(expected, hub.Status.Backup!.Status!["c1"]);
    }

    [Fact]
    public void The_hub_limit_applies_to_every_non_final_state_but_keeps_final_ones()
    {
        var hub = Hub(clusters: 5);
        hub.Decide();
        var map = hub.Status.Backup!.Status!;
        (map["c1"], map["c2"], map["c3"], map["c4"], map["c5"]) = ("PreparingToStart", "Starting", "Active", "Succeeded", "UnrecoverableError");
        hub.Clock.Advance(TimeSpan.FromSeconds(1300));
        hub.Decide();
        Assert.Equal(["BackupTimeout", "BackupTimeout", "BackupTimeout", "Succeeded", "UnrecoverableError"], map.Keys.Order().Select(k => hub.Status.Backup!.Status![k]));
        var b = hub.Condition(ConditionTypes.BackupSucceeded)!;
        Assert.Equal(("True", "PartiallyDone", "Backup failed for 4 clusters"), (b.Status, b.Reason, b.Message));
    }

    [Theory]
    [InlineData(new[] { "Succeeded", "Succeeded" }, "True", "BackupCompleted", "Backup is completed for all clusters")]
    [InlineData(new[] { "Succeeded", "BackupTimeout" }, "True", "PartiallyDone", "Backup failed for 1 clusters")]
    [InlineData(new[] { "UnrecoverableError", "BackupTimeout" }, "False", "Failed", "Backup failed for all clusters")]
    [InlineData(new[] { "Active", "BackupTimeout" }, "False", "InProgress", "Backup in progress for 1 clusters")]
    [InlineData(new[] { "Active", "Starting" }, "False", "InProgress", "Backup in progress for 2 clusters")]
    public void Backup_condition_counts_states(string[] states, string status, string reason, string message)
    {
        var hub = Hub(clusters: 2);
        hub.Decide();
        hub.Status.Backup!.Status!["c1"] = states[0];
        hub.Status.Backup.Status["c2"] = states[1];
        hub.Put(Views.Job("c1", "view-backup-job", """{"active":1}"""));
        hub.Put(Views.Job("c2", "view-backup-job", """{"active":1}"""));
        hub.Put(Views.Erroring("c2", "view-backup-namespace"));
        hub.Decide();
        var b = hub.Condition(ConditionTypes.BackupSucceeded)!;
        Assert.Equal((status, reason, message), (b.Status, b.Reason, b.Message));
    }

    [Fact]
    public void Failed_backups_leave_the_plan_and_never_reach_a_placement_nor_status_clusters()
    {
        var hub = Hub(clusters: 3, maxConcurrency: 2);
        hub.Decide();
        var map = hub.Status.Backup!.Status!;
        (map["c1"], map["c2"], map["c3"]) = ("BackupTimeout", "Succeeded", "Succeeded");
        hub.Decide();
        Assert.Equal([["c2", "c3"]], hub.Status.RemediationPlan!);
        Assert.DoesNotContain("c1", hub.Objects.OfType<Placement>().SelectMany(p => p.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0].Values!));
        hub.Tick();
        hub.Decide();
        Assert.Equal(["c2", "c3"], hub.Status.Clusters!.Select(c => c.Name).Order());
        Assert.Equal("BackupTimeout", hub.Status.Backup!.Status!["c1"]);
        Assert.Equal("True", hub.Condition(ConditionTypes.Succeeded)!.Status);
    }

    [Fact]
    public void All_backups_failed_ends_the_cgu_instead_of_hanging()
    {
        var hub = Hub(clusters: 2);
        hub.Decide();
        hub.Status.Backup!.Status!["c1"] = "UnrecoverableError";
        hub.Status.Backup.Status["c2"] = "BackupTimeout";
        var d = hub.Decide();
        foreach (var type in new[] { ConditionTypes.Progressing, ConditionTypes.Succeeded })
        {
            var c = hub.Condition(type)!;
            Assert.Equal(("False", "No clusters available for remediation (Backup failed)"), (c.Status, c.Message));
        }
        Assert.Equal(("Completed", "Failed"), (hub.Condition(ConditionTypes.Progressing)!.Reason, hub.Condition(ConditionTypes.Succeeded)!.Reason));
        Assert.Equal(("False", "Failed", "Backup failed for all clusters"), (hub.Condition(ConditionTypes.BackupSucceeded)!.Status, hub.Condition(ConditionTypes.BackupSucceeded)!.Reason, hub.Condition(ConditionTypes.BackupSucceeded)!.Message));
        Assert.Null(hub.Status.RemediationPlan);
        Assert.Null(hub.Status.Clusters);
        Assert.Null(d.RequeueAfter);
        Assert.Contains(d.Events, e => e.Kind == EngineEventKind.Failed);
        Assert.Empty(hub.Objects.OfType<Placement>());
        // Cleanup (§5.5) for both clusters.
        Assert.Contains("delete ManagedClusterAction backup-job-create", Ops(d, "c2"));
        Assert.Contains("create ManagedClusterAction backup-ns-delete", Ops(d, "c1"));
    }

    [Fact]
    public void Without_recovery_image_backup_reports_a_clear_condition_and_creates_nothing()
    {
        var hub = Hub();
        hub.Settings = hub.Settings with { RecoveryImage = null };
        var d = hub.Decide();
        var b = hub.Condition(ConditionTypes.BackupSucceeded)!;
        Assert.Equal(("False", "RecoveryImageMissing"), (b.Status, b.Reason));
        Assert.Contains("RECOVERY_IMG", b.Message, StringComparison.Ordinal);
        Assert.Same(b, hub.Status.Conditions![^1]);
        Assert.Null(hub.Status.Backup);
        Assert.Empty(Ops(d, "c1"));
        Assert.Equal(TimeSpan.FromSeconds(30), d.RequeueAfter);
    }

    [Fact]
    public void Backup_time_counts_against_the_cgu_timeout()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1", "c2"], ["p"], backup: true, timeout: 15), 2, "p");
        hub.Decide();
        hub.Status.Backup!.Status!["c1"] = "Succeeded";
        hub.Status.Backup.Status["c2"] = "Active";
        hub.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        var d = hub.Decide();
        var c = hub.Condition(ConditionTypes.Succeeded)!;
        Assert.Equal(("False", "TimedOut", "Policy remediation took too long"), (c.Status, c.Reason, c.Message));
        // Cleanup of the unfinished backup on c2 only.
        Assert.Contains("delete ManagedClusterAction backup-job-create", Ops(d, "c2"));
        Assert.DoesNotContain("delete ManagedClusterAction backup-job-create", Ops(d, "c1"));
    }

    [Fact]
    public void Backup_waits_for_the_enable_gate_and_blocking_crs()
    {
        var hub = Fixtures.Fleet(Fixtures.Cgu(["c1"], ["p"], backup: true, enable: false), 1, "p");
        hub.Decide();
        Assert.Null(hub.Status.Backup);
        Assert.Null(hub.Condition(ConditionTypes.BackupSucceeded));
        Assert.Null(hub.Status.Status?.StartedAt);
    }

    [Fact]
    public void Already_compliant_clusters_are_not_backed_up()
    {
        var hub = new FakeHub(Fixtures.Cgu(["c1", "c2"], ["p"], backup: true)).Cluster("c1").Cluster("c2");
        hub.Policy("p", "ztp", new Dictionary<string, string?> { ["c1"] = "Compliant", ["c2"] = "NonCompliant" });
        hub.Decide();
        Assert.Equal(["c2"], hub.Status.Backup!.Status!.Keys);
    }

    private static string? S(JsonElement e, params string[] path)
    {
        foreach (var p in path)
            e = e.GetProperty(p);
        return e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText();
    }

    [Fact]
    public void Backup_runs_end_to_end_through_the_simulated_hub()
    {
        var hub = Hub(clusters: 3, maxConcurrency: 3);
        hub.JobScript[("c2", "backup-agent")] = ("DeadlineExceeded", 3);
        hub.JobScript[("c3", "backup-agent")] = ("Succeeded", 4);
        var steps = hub.RunUntilTerminal(TimeSpan.FromSeconds(15), 100);
        Assert.True(steps < 100);
        Assert.Equal(new Dictionary<string, string> { ["c1"] = "Succeeded", ["c2"] = "BackupTimeout", ["c3"] = "Succeeded" }, hub.Status.Backup!.Status);
        Assert.Equal([["c1", "c3"]], hub.Status.RemediationPlan!);
        Assert.Equal("True", hub.Condition(ConditionTypes.Succeeded)!.Status);
        _ = KubeJson.Options;
    }

    [Fact]
    public void At_most_the_allowed_clusters_start_a_writing_step_per_decision_and_the_rest_follow_at_once()
    {
        var hub = Hub(clusters: 5, maxConcurrency: 5);
        hub.Settings = hub.Settings with { ClusterStepsPerDecision = 2 };
        var d = hub.Decide();
        var map = hub.Status.Backup!.Status!;
        Assert.Equal(["Starting", "Starting", "PreparingToStart", "PreparingToStart", "PreparingToStart"], map.Keys.Order().Select(k => map[k]));
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        Assert.Empty(Ops(d, "c3"));
        var b = hub.Condition(ConditionTypes.BackupSucceeded)!;
        Assert.Equal(("False", "InProgress", "Backup in progress for 5 clusters"), (b.Status, b.Reason, b.Message));
    }

    [Fact]
    public void A_fleet_larger_than_the_allowance_is_backed_up_in_full_with_bounded_writes_per_decision()
    {
        var hub = Hub(clusters: 7, maxConcurrency: 7);
        hub.Settings = hub.Settings with { ClusterStepsPerDecision = 2 };
        var steps = 0;
        for (; steps < 200 && hub.Condition(ConditionTypes.Succeeded) is null; steps++)
        {
            var before = hub.Snapshot();
            var existing = before.Views.Select(v => (v.Kind, v.Metadata.Namespace, v.Metadata.Name))
                .Concat(hub.Actions().Select(a => (a.Kind, a.Metadata.Namespace, a.Metadata.Name))).ToHashSet();
            var d = hub.Decide();
            // Writes that change the hub (a create of an existing object or a delete of a missing one is
            // none): a cluster's step makes at most 8 before the status (PreparingToStart's clean-up).
            var writes = d.Intents.Count(i => i switch
            {
                ApplyIntent a => a.Body is ManagedClusterView or ManagedClusterAction && !existing.Contains((a.Kind, a.Namespace, a.Name)),
                DeleteIntent del => existing.Contains((del.Kind, del.Namespace, del.Name)),
                _ => false,
            });
            Assert.True(writes <= 2 * 8, $"{writes} writes in one decision");
            hub.Tick();
            hub.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.True(steps < 200);
        Assert.All(hub.Status.Backup!.Status!.Values, s => Assert.Equal("Succeeded", s));
        Assert.Contains(hub.Decisions, d => d.RequeueAfter == TimeSpan.Zero);
        for (var i = 1; i <= 7; i++)
            Assert.Null(hub.Get<ManagedClusterView>($"c{i}", "view-backup-job"));
    }

    [Fact]
    public void Views_left_behind_by_a_lost_follow_up_are_cleaned_up_by_the_next_decision()
    {
        var hub = InState("Active", clusters: 2);
        hub.Put(Views.Present("c1", "view-backup-namespace"));
        hub.Put(Views.Job("c1", "view-backup-job", """{"succeeded":1}"""));
        var first = hub.Engine.Decide(hub.Snapshot(), hub.Now); // decided, status written, follow-ups lost
        hub.Cgu = hub.Cgu with { Status = first.Status };
        Assert.Equal(4, FollowUps(first, "c1").Count);
        var again = hub.Decide();
        Assert.Empty(Ops(again, "c1"));
        Assert.Equal(
        [
            "create ManagedClusterAction backup-ns-delete", "create ManagedClusterAction backup-crb-delete",
            "delete ManagedClusterView view-backup-job", "delete ManagedClusterView view-backup-namespace",
        ], FollowUps(again, "c1"));
        Assert.DoesNotContain(again.Events, e => e.Kind == EngineEventKind.BackupFinished); // reported once
        var third = hub.Decide();
        Assert.Empty(FollowUps(third, "c1"));
    }

    [Fact]
    public void Views_of_succeeded_clusters_are_cleaned_up_while_batches_run()
    {
        var hub = Hub(clusters: 2, maxConcurrency: 2);
        hub.RunUntilTerminal(TimeSpan.FromSeconds(1), 5);
        Assert.True(hub.Status.Status!.CurrentBatch > 0);
        hub.Put(Views.Present("c2", "view-backup-namespace"));
        var d = hub.Decide();
        Assert.Equal(4, FollowUps(d, "c2").Count);
        Assert.Empty(FollowUps(d, "c1"));
    }
}
