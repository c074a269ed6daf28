using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

public sealed class PrecachingTests
{
    private const string Templates = """
        [{"complianceType":"musthave","objectDefinition":{"apiVersion":"config.openshift.io/v1","kind":"ClusterVersion","metadata":{"name":"version"},"spec":{"desiredUpdate":{"version":"4.16.3","image":"quay.io/ocp-release:4.16.3"}}}},
         {"complianceType":"musthave","objectDefinition":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"CatalogSource","metadata":{"name":"redhat","namespace":"openshift-marketplace"},"spec":{"image":"registry.example/redhat-operators:v4.16"}}},
         {"complianceType":"musthave","objectDefinition":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"ptp","namespace":"openshift-ptp"},"spec":{"name":"ptp-operator","channel":"stable"}}},
         {"complianceType":"mustnothave","objectDefinition":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"old","namespace":"x"},"spec":{"name":"old-operator","channel":"v1"}}}]
        """;

    private static FakeHub Hub(int clusters = 2, bool enable = true, string? templates = Templates)
    {
        var names = Fixtures.Names(clusters);
        var hub = new FakeHub(Fixtures.Cgu(names, ["p"], maxConcurrency: clusters, preCaching: true, enable: enable));
        foreach (var n in names)
            hub.Cluster(n);
        hub.Policy("p", "ztp", names.ToDictionary(n => n, _ => (string?)"NonCompliant"), templates is null ? null : Fixtures.ConfigPolicy(templates));
        return hub;
    }

    [Fact]
    public void The_spec_is_derived_from_the_policies()
    {
        var hub = Hub();
        hub.Decide();
        var spec = hub.Status.Precaching!.Spec!;
        Assert.Equal("quay.io/ocp-release:4.16.3", spec.PlatformImage);
        Assert.Equal(["registry.example/redhat-operators:v4.16"], spec.OperatorsIndexes!);
        Assert.Equal(["ptp-operator:stable"], spec.OperatorsPackagesAndChannels!);
        Assert.Equal("35", spec.SpaceRequired);
        var c = hub.Condition(ConditionTypes.PrecacheSpecValid)!;
        Assert.Equal(("True", "PrecacheSpecIsWellFormed", "Precaching spec is valid and consistent"), (c.Status, c.Reason, c.Message));
        Assert.Equal(new Dictionary<string, string> { ["c1"] = "PreparingToStart", ["c2"] = "PreparingToStart" }, hub.Status.Precaching.Status);
        var p = hub.Condition(ConditionTypes.PrecachingSucceeded)!;
        Assert.Equal(("False", "InProgress", "Precaching in progress for 2 clusters"), (p.Status, p.Reason, p.Message));
    }

    [Fact]
    public void A_precaching_config_overrides_the_derived_spec()
    {
        var hub = Hub();
        hub.Cgu = hub.Cgu.WithSpec(s => s with { PreCachingConfigRef = new NamespacedName("pcc", "default") });
        hub.PreCachingConfig = new PreCachingConfig
        {
            Metadata = new ObjectMeta { Name = "pcc", Namespace = "default" },
            Spec = new PreCachingConfigSpec
            {
                Overrides = new PrecachingOverrides { PlatformImage = "quay.io/override:1" },
                SpaceRequired = "50",
                ExcludePrecachePatterns = ["aws"],
                AdditionalImages = ["quay.io/extra:1"],
            },
        };
        hub.Decide();
        var spec = hub.Status.Precaching!.Spec!;
        Assert.Equal(("quay.io/override:1", "50"), (spec.PlatformImage, spec.SpaceRequired));
        Assert.Equal(["aws"], spec.ExcludePrecachePatterns!);
        Assert.Equal(["quay.io/extra:1"], spec.AdditionalImages!);
        Assert.Equal(["ptp-operator:stable"], spec.OperatorsPackagesAndChannels!);
    }

    [Fact]
    public void A_missing_precaching_config_makes_the_spec_incomplete()
    {
        var hub = Hub();
        hub.Cgu = hub.Cgu.WithSpec(s => s with { PreCachingConfigRef = new NamespacedName("pcc", null) });
        hub.Decide();
        var c = hub.Condition(ConditionTypes.PrecacheSpecValid)!;
        Assert.Equal(("False", "PrecacheSpecIncomplete"), (c.Status, c.Reason));
        Assert.StartsWith("Precaching spec is incomplete: PreCachingConfig default/pcc not found", c.Message, StringComparison.Ordinal);
        Assert.Null(hub.Status.Precaching);
    }

    [Fact]
    public void Nothing_to_pull_makes_the_spec_incomplete()
    {
        var hub = Hub(templates: null);
        hub.Decide();
        var c = hub.Condition(ConditionTypes.PrecacheSpecValid)!;
        Assert.Equal("Precaching spec is incomplete: nothing to pre-cache: no platform image, operator index or additional image", c.Message);
    }

    [Fact]
    public void Precaching_runs_before_the_enable_gate_and_then_waits_for_it()
    {
        var hub = Hub(enable: false);
        for (var i = 0; i < 15; i++)
        {
            hub.Decide();
            hub.Tick();
            hub.Clock.Advance(TimeSpan.FromSeconds(10));
        }
        hub.Decide();
        Assert.Equal(new Dictionary<string, string> { ["c1"] = "Succeeded", ["c2"] = "Succeeded" }, hub.Status.Precaching!.Status);
        var p = hub.Condition(ConditionTypes.PrecachingSucceeded)!;
        Assert.Equal(("True", "PrecachingCompleted", "Precaching is completed for all clusters"), (p.Status, p.Reason, p.Message));
        Assert.Equal("NotEnabled", hub.Condition(ConditionTypes.Progressing)!.Reason);
        Assert.Null(hub.Status.Status?.StartedAt);
        // The spoke objects were created with the contract names.
        var actions = hub.Decisions.SelectMany(d => d.Intents).OfType<ApplyIntent>().Where(a => a.Namespace == "c1").Select(a => a.Name).Distinct().Order().ToList();
        Assert.Equal(
        [
            "precache-crb-create", "precache-crb-delete", "precache-job-create", "precache-ns-create", "precache-ns-delete", "precache-sa-create", "precache-spec-cm-create",
            "view-precache-cluster-role-binding", "view-precache-job", "view-precache-namespace", "view-precache-service-acct", "view-precache-spec-configmap",
        ], actions);
        var job = hub.Decisions.SelectMany(d => d.Intents).OfType<ApplyIntent>().First(a => a.Name == "precache-job-create");
        var tpl = ((ManagedClusterAction)job.Body).Spec.Kube!.Template!.Value;
        Assert.Equal(240 * 60, tpl.GetProperty("spec").GetProperty("activeDeadlineSeconds").GetInt32());
        Assert.Equal(0, tpl.GetProperty("spec").GetProperty("backoffLimit").GetInt32());
        Assert.Equal("quay.io/talm/precache:test", tpl.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString());
        var view = (ManagedClusterView)hub.Decisions.SelectMany(d => d.Intents).OfType<ApplyIntent>().First(a => a.Name == "view-precache-job").Body;
        Assert.Equal(30, view.Spec.Scope.UpdateIntervalSeconds);
    }

    [Theory]
    [InlineData(1, 30)]
    [InlineData(20, 120)]
    [InlineData(80, 300)]
    public void View_refresh_interval_scales_with_the_cluster_count(int clusters, int seconds)
    {
        var hub = Hub(clusters);
        var d = hub.Decide();
        var view = (ManagedClusterView)d.Intents.OfType<ApplyIntent>().First(a => a.Name == "view-precache-namespace").Body;
        Assert.Equal(seconds, view.Spec.Scope.UpdateIntervalSeconds);
    }

    [Fact]
    public void Clusters_whose_precaching_failed_leave_the_plan()
    {
        var hub = Hub(3);
        hub.JobScript[("c2", "pre-cache")] = ("DeadlineExceeded", 1);
        var steps = hub.RunUntilTerminal(TimeSpan.FromSeconds(10), 100);
        Assert.True(steps < 100);
        Assert.Equal("PrecacheTimeout", hub.Status.Precaching!.Status!["c2"]);
        var p = hub.Condition(ConditionTypes.PrecachingSucceeded)!;
        Assert.Equal(("True", "PartiallyDone", "Precaching failed for 1 clusters"), (p.Status, p.Reason, p.Message));
        Assert.Equal([["c1", "c3"]], hub.Status.RemediationPlan!);
        Assert.Equal(["c1", "c3"], hub.Status.Clusters!.Select(c => c.Name));
    }

    [Fact]
    public void All_precaching_failed_ends_the_cgu()
    {
        var hub = Hub(2);
        hub.JobScript[("c1", "pre-cache")] = ("BackoffLimitExceeded", 1);
        hub.JobScript[("c2", "pre-cache")] = ("DeadlineExceeded", 1);
        hub.RunUntilTerminal(TimeSpan.FromSeconds(10), 100);
        Assert.Equal(new Dictionary<string, string> { ["c1"] = "UnrecoverableError", ["c2"] = "PrecacheTimeout" }, hub.Status.Precaching!.Status);
        foreach (var type in new[] { ConditionTypes.Progressing, ConditionTypes.Succeeded })
        {
            var c = hub.Condition(type)!;
            Assert.Equal(("False", "No clusters available for remediation (Precaching failed)"), (c.Status, c.Message));
        }
        var f = hub.Condition(ConditionTypes.PrecachingSucceeded)!;
        Assert.Equal(("False", "Failed", "Precaching failed for all clusters"), (f.Status, f.Reason, f.Message));
        Assert.Contains(hub.Decisions.SelectMany(d => d.Events), e => e.Kind == EngineEventKind.PrecacheFinished && e.Cluster == "c1" && e.Detail == "UnrecoverableError");
    }

    [Fact]
    public void Without_precache_image_the_spec_is_incomplete()
    {
        var hub = Hub();
        hub.Settings = hub.Settings with { PrecacheImage = null };
        hub.Decide();
        Assert.Contains("PRECACHE_IMG", hub.Condition(ConditionTypes.PrecacheSpecValid)!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_most_the_allowed_clusters_start_pre_caching_per_decision_and_all_finish()
    {
        var hub = Hub(clusters: 5);
        hub.Settings = hub.Settings with { ClusterStepsPerDecision = 2 };
        var d = hub.Decide();
        var map = hub.Status.Precaching!.Status!;
        Assert.Equal(["PreparingToStart", "PreparingToStart", "NotStarted", "NotStarted", "NotStarted"], map.Keys.Order().Select(k => map[k]));
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        Assert.DoesNotContain(d.Intents, i => i is ApplyIntent { Namespace: "c3" } or DeleteIntent { Namespace: "c3" });

        var steps = hub.RunUntilTerminal(TimeSpan.FromSeconds(1), 300);
        Assert.True(steps < 300, string.Join(", ", hub.Status.Precaching!.Status!.Select(p => $"{p.Key}={p.Value}")));
        Assert.All(hub.Status.Precaching!.Status!.Values, s => Assert.Equal("Succeeded", s));
        Assert.Equal("True", hub.Condition(ConditionTypes.Succeeded)!.Status);
    }
}
