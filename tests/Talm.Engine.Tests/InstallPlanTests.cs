using Talm.Api.Json;

namespace Talm.Engine.Tests;

/// <summary>
/// Subscriptions a remediated policy installs (monitoring.go processMonitoredObjects/processMonitoredObject,
/// multicloud_util.go EnsureManagedClusterView, ProcessSubscriptionManagedClusterView,
/// EnsureInstallPlanIsApproved, EnsureManagedClusterActionForInstallPlan): an InstallPlan waiting for a
/// manual approval is approved through a ManagedClusterAction, as the kuttl operator-upgrade scenario shows.
/// </summary>
public sealed class InstallPlanTests
{
    private const string SubView = "cgu-default-subscription-cluster-logging-kuttl";

    /// <summary>Batch 1 running on c1 and c2, both on "subs" (a Subscription to cluster-logging); "plain" has none.</summary>
    private static FakeHub Running(string firstPolicy = "subs")
    {
        var cgu = Fixtures.Cgu(["c1", "c2"], firstPolicy == "subs" ? ["subs", "plain"] : ["plain", "subs"], maxConcurrency: 2)
            .WithAnnotations((ClusterGroupUpgrade.NameSuffixAnnotation, "kuttl"));
        var hub = new FakeHub(cgu).Clusters("c1", "c2");
        hub.Policy("subs", "NonCompliant", ["c1", "c2"], Fixtures.ConfigPolicy(Fixtures.Subscription("cluster-logging", "openshift-logging", "cluster-logging", "stable")));
        hub.Policy("plain", "NonCompliant", ["c1", "c2"]);
        hub.Settle();
        return hub;
    }

    private static ManagedClusterView Subscription(string cluster, string state = "UpgradePending", bool installPlan = true, string reason = "GetResourceProcessing") =>
        Views.View(cluster, SubView, "True", "Watching resources successfully",
            """{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"cluster-logging","namespace":"openshift-logging"},"status":{"state":""" + "\"" + state + "\"" +
            (installPlan ? ""","installplan":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"InstallPlan","name":"install-aaaa1"}""" : "") + "}}",
            reason) with { Spec = new ManagedClusterViewSpec { Scope = new ViewScope { Resource = "Subscription.operators.coreos.com", Name = "cluster-logging", Namespace = "openshift-logging" } } };

    private static ManagedClusterView InstallPlan(string cluster, string approval = "Manual", string approved = "\"false\"") =>
        Views.View(cluster, "install-aaaa1", "True", "Watching resources successfully",
            """{"apiVersion":"operators.coreos.com/v1alpha1","kind":"InstallPlan","metadata":{"name":"install-aaaa1","namespace":"openshift-logging","resourceVersion":"1532546"},"spec":{"approval":""" + "\"" + approval + "\",\"approved\":" + approved +
            ""","clusterServiceVersionNames":["cluster-logging.v5.8.1"]},"status":{"phase":"RequiresApproval"}}""",
            "GetResourceProcessing") with { Spec = new ManagedClusterViewSpec { Scope = new ViewScope { Resource = "InstallPlan", Name = "install-aaaa1", Namespace = "openshift-logging" } } };

    [Fact]
    public void Each_cluster_on_a_policy_with_subscriptions_gets_a_view_of_each_subscription()
    {
        var hub = Running();
        var view = hub.Get<ManagedClusterView>("c1", SubView)!;
        Assert.Equal(
            """{"apiVersion":"view.open-cluster-management.io/v1beta1","kind":"ManagedClusterView","metadata":{"name":"cgu-default-subscription-cluster-logging-kuttl","namespace":"c1","labels":{"openshift-cluster-group-upgrades/clusterGroupUpgrade":"cgu","openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace":"default"},"annotations":{"cluster-group-upgrades-operator/rname":"c1/cgu-default-subscription-cluster-logging"}},"spec":{"scope":{"resource":"Subscription.operators.coreos.com","name":"cluster-logging","namespace":"openshift-logging"}}}""",
            KubeJson.Serialize(view));
        Assert.NotNull(hub.Get<ManagedClusterView>("c2", SubView));
        Assert.Equal(SubView, hub.Status.SafeResourceNames!["/cgu-default-subscription-cluster-logging"]);
    }

    [Fact]
    public void A_cluster_on_a_policy_without_subscriptions_gets_no_view()
    {
        var hub = Running(firstPolicy: "plain");
        Assert.DoesNotContain(hub.All<ManagedClusterView>(), v => v.Metadata.Name == SubView);
    }

    [Fact]
    public void An_install_plan_waiting_for_manual_approval_is_approved_through_an_action()
    {
        var hub = Running();
        hub.Fill(Subscription("c1"));
        hub.Clock.Advance(TimeSpan.FromMinutes(1));
        hub.Decide();
        var ipView = hub.Get<ManagedClusterView>("c1", "install-aaaa1")!;
        Assert.Equal("""{"resource":"InstallPlan","name":"install-aaaa1","namespace":"openshift-logging"}""", Show.Json(ipView.Spec.Scope));
        Assert.Equal(("cgu", "c1/install-aaaa1"), (ipView.Metadata.Label("openshift-cluster-group-upgrades/clusterGroupUpgrade"), ipView.Metadata.Annotation("cluster-group-upgrades-operator/rname")));
        Assert.Null(hub.Get<ManagedClusterAction>("c1", "install-aaaa1"));

        // kuttl operator-upgrade 03: "approved" is even a string there; it is not true, so the plan is approved.
        hub.Fill(InstallPlan("c1"));
        hub.Clock.Advance(TimeSpan.FromMinutes(1));
        var d = hub.Decide();
        Assert.Contains("create ManagedClusterAction c1/install-aaaa1", Show.Ops(d));
        var action = hub.Get<ManagedClusterAction>("c1", "install-aaaa1")!;
        Assert.Equal(
            """{"apiVersion":"action.open-cluster-management.io/v1beta1","kind":"ManagedClusterAction","metadata":{"name":"install-aaaa1","namespace":"c1","labels":{"openshift-cluster-group-upgrades/clusterGroupUpgrade":"default-cgu"}},"spec":{"actionType":"Update","kube":{"resource":"installplan","namespace":"openshift-logging","template":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"InstallPlan","metadata":{"name":"install-aaaa1","resourceVersion":"1532546"},"spec":{"approval":"Manual","approved":true,"clusterServiceVersionNames":["cluster-logging.v5.8.1"]}}}}}""",
            KubeJson.Serialize(action));
        Assert.Null(hub.Get<ManagedClusterAction>("c2", "install-aaaa1"));

        // Approved once: an existing action is left alone.
        hub.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.DoesNotContain("create ManagedClusterAction c1/install-aaaa1", Show.Ops(hub.Decide()));
    }

    public static TheoryData<string, Func<FakeHub, IKubeObject[]>> NotApproved => new()
    {
        { "the subscription is not pending an upgrade", _ => [Subscription("c1", state: "AtLatestKnown"), InstallPlan("c1")] },
        { "the subscription names no install plan", _ => [Subscription("c1", installPlan: false), InstallPlan("c1")] },
        { "the subscription view has not got its resource", _ => [Subscription("c1", reason: "GetResourceFailed"), InstallPlan("c1")] },
        { "the install plan view is not filled yet", _ => [Subscription("c1"), Views.Unfilled("c1", "install-aaaa1")] },
        { "automatic approval", _ => [Subscription("c1"), InstallPlan("c1", approval: "Automatic")] },
        { "already approved", _ => [Subscription("c1"), InstallPlan("c1", approved: "true")] },
    };

    [Theory]
    [MemberData(nameof(NotApproved))]
    public void Nothing_is_approved_unless_the_plan_waits_for_it(string what, Func<FakeHub, IKubeObject[]> objects)
    {
        var hub = Running();
        foreach (var o in objects(hub))
            hub.Fill((ManagedClusterView)o);
        hub.Clock.Advance(TimeSpan.FromMinutes(1));
        hub.Decide();
        Assert.Null(hub.Get<ManagedClusterAction>("c1", "install-aaaa1"));
        Assert.NotNull(what);
    }

    [Fact]
    public void A_completed_clusters_views_go_with_it()
    {
        var hub = Running();
        hub.Fill(Subscription("c1"));
        hub.Root("subs").Compliance["c1"] = "Compliant";
        hub.Root("plain").Compliance["c1"] = "Compliant";
        hub.Clock.Advance(TimeSpan.FromMinutes(1));
        var d = hub.Decide();
        Assert.Contains("deleteall ManagedClusterView c1 openshift-cluster-group-upgrades/clusterGroupUpgrade=cgu,openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace=default", Show.Ops(d));
        Assert.Null(hub.Get<ManagedClusterView>("c1", SubView));
        Assert.NotNull(hub.Get<ManagedClusterView>("c2", SubView));
    }
}
