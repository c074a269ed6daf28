using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

public sealed class PolicyValidationTests
{
    private static Dictionary<string, string?> All(string state, params string[] clusters) => clusters.ToDictionary(c => c, _ => (string?)state);

    private static FakeHub Hub(string[] policies, params string[] clusters)
    {
        var hub = new FakeHub(Fixtures.Cgu(clusters, policies, enable: false));
        foreach (var c in clusters)
            hub.Cluster(c);
        return hub;
    }

    private static (string?, string?, string?) Validated(FakeHub hub)
    {
        var c = hub.Condition(ConditionTypes.Validated)!;
        return (c.Status, c.Reason, c.Message);
    }

    [Fact]
    public void Missing_policies_are_listed_go_style_with_a_trailing_space()
    {
        var hub = Hub(["p1", "ok", "p2"], "c1");
        hub.Policy("ok", "ztp", All("NonCompliant", "c1"));
        hub.Decide();
        Assert.Equal(("False", "NotAllManagedPoliciesExist", "Missing managed policies: [p1 p2] "), Validated(hub));
        Assert.Null(hub.Status.RemediationPlan);
    }

    [Fact]
    public void A_child_without_its_root_policy_counts_as_missing()
    {
        var hub = Hub(["p"], "c1");
        hub.Policy("p", "ztp", All("NonCompliant", "c1"));
        // A child policy in the cluster namespace whose root is gone.
        hub.Policy("q", "gone", All("NonCompliant", "c1"));
        var snapshot = hub.Snapshot();
        snapshot = snapshot with { Policies = [.. snapshot.Policies.Where(p => !(p.Metadata.Namespace == "gone" && p.Metadata.Name == "q"))], Cgu = snapshot.Cgu with { Spec = snapshot.Cgu.Spec with { ManagedPolicies = ["q"] } } };
        var d = hub.Engine.Decide(snapshot, hub.Now);
        var c = Conditions.Find(d.Status.Conditions, ConditionTypes.Validated)!;
        Assert.Equal("Missing managed policies: [q] ", c.Message);
    }

    [Fact]
    public void A_policy_found_in_two_namespaces_is_ambiguous()
    {
        var hub = Hub(["p", "q"], "c1", "c2");
        hub.Policy("p", "ztp-b", All("NonCompliant", "c1"));
        hub.Policy("p", "ztp-a", All("NonCompliant", "c2"));
        hub.Policy("q", "ztp", All("NonCompliant", "c2"));
        hub.Decide();
        Assert.Equal(("False", "AmbiguousManagedPoliciesNames",
            """Managed policy name should be unique, but was found in multiple namespaces: {"p":["ztp-a","ztp-b"]} """), Validated(hub));
    }

    [Fact]
    public void Children_outside_the_selected_clusters_do_not_count()
    {
        var hub = Hub(["p"], "c1");
        hub.Cluster("other");
        hub.Policy("p", "ztp", All("NonCompliant", "c1"));
        hub.Policy("p", "elsewhere", All("NonCompliant", "other"));
        hub.Decide();
        Assert.Equal(("True", "ValidationCompleted", "Completed validation"), Validated(hub));
        Assert.Equal("ztp", hub.Status.ManagedPoliciesNs!["p"]);
    }

    [Fact]
    public void A_policy_that_depends_on_a_later_policy_is_unresolvable()
    {
        var hub = Hub(["first", "second"], "c1");
        hub.Policy("first", "ztp", All("NonCompliant", "c1")).Dependencies = [new PolicyDependency { Kind = "Policy", Name = "second", Compliance = "Compliant" }];
        hub.Policy("second", "ztp", All("NonCompliant", "c1"));
        hub.Decide();
        Assert.Equal(("False", "UnresolvableDenpendency", "Managed Policy first depends on second, which is to be remediated later"), Validated(hub));
    }

    [Fact]
    public void Depending_on_an_earlier_policy_is_fine()
    {
        var hub = Hub(["first", "second"], "c1");
        hub.Policy("first", "ztp", All("NonCompliant", "c1"));
        hub.Policy("second", "ztp", All("NonCompliant", "c1")).Dependencies = [new PolicyDependency { Kind = "Policy", Name = "first" }];
        hub.Decide();
        Assert.Equal("True", hub.Condition(ConditionTypes.Validated)!.Status);
    }

    [Theory]
    [InlineData("""{"kind":"ConfigurationPolicy","spec":{"object-templates":[]}}""")]
    [InlineData("""{"kind":"ConfigurationPolicy","metadata":{"name":"x"}}""")]
    [InlineData("""{"kind":"ConfigurationPolicy","metadata":{"name":"x"},"spec":{"object-templates":[],"object-templates-raw":"- a"}}""")]
    [InlineData("""{"kind":"ConfigurationPolicy","metadata":{"name":"x"},"spec":{"remediationAction":"inform"}}""")]
    public void Malformed_templates_make_the_policy_invalid(string template)
    {
        var hub = Hub(["bad"], "c1");
        hub.Policy("bad", "ztp", All("NonCompliant", "c1"), KubeJson.Element(template));
        hub.Decide();
        Assert.Equal(("False", "NotAllManagedPoliciesExist", "Invalid managed policies: [bad] "), Validated(hub));
    }

    [Fact]
    public void Enforced_policies_are_not_managed_by_the_cgu()
    {
        var hub = Hub(["enf", "inf"], "c1");
        hub.Policy("enf", "ztp", All("NonCompliant", "c1"), childAction: "enforce");
        hub.Policy("inf", "ztp", All("NonCompliant", "c1"));
        hub.Decide();
        Assert.Equal([new NamespacedName("inf", "ztp")], hub.Status.ManagedPoliciesForUpgrade!);
        Assert.Null(hub.Status.ManagedPoliciesCompliantBeforeUpgrade);
    }

    [Fact]
    public void Policies_are_split_into_for_upgrade_and_compliant_before_upgrade_in_spec_order()
    {
        var hub = Hub(["z-nc", "compliant", "a-nc", "status-tpl"], "c1", "c2");
        hub.Policy("z-nc", "ns1", new Dictionary<string, string?> { ["c1"] = "Compliant", ["c2"] = "Pending" });
        hub.Policy("compliant", "ns1", All("Compliant", "c1", "c2"));
        hub.Policy("a-nc", "ns2", new Dictionary<string, string?> { ["c1"] = null, ["c2"] = "Compliant" });
        hub.Policy("status-tpl", "ns1", All("Compliant", "c1", "c2"),
            Fixtures.ConfigPolicy("""[{"complianceType":"musthave","objectDefinition":{"kind":"Deployment","metadata":{"name":"d"},"status":{"readyReplicas":1}}}]"""));
        hub.Decide();
        var st = hub.Status;
        Assert.Equal(["z-nc", "a-nc", "status-tpl"], st.ManagedPoliciesForUpgrade!.Select(p => p.Name));
        Assert.Equal(["ns1", "ns2", "ns1"], st.ManagedPoliciesForUpgrade!.Select(p => p.Namespace));
        Assert.Equal(["compliant"], st.ManagedPoliciesCompliantBeforeUpgrade!);
        Assert.Equal(new Dictionary<string, string> { ["z-nc"] = "ns1", ["a-nc"] = "ns2", ["status-tpl"] = "ns1" }, st.ManagedPoliciesNs);
        // c1 is missing compliance for a-nc (entry without "compliant"): not compliant; c2 Pending on z-nc.
        Assert.Equal([["c1"], ["c2"]], st.RemediationPlan!);
    }

    [Fact]
    public void A_policy_without_status_makes_every_cluster_non_compliant()
    {
        var hub = Hub(["p"], "c1", "c2");
        hub.Policy("p", "ztp", All("Compliant", "c1", "c2")).NoStatus = true;
        hub.Decide();
        Assert.Equal([["c1"], ["c2"]], hub.Status.RemediationPlan!);
    }

    [Fact]
    public void A_cluster_absent_from_the_policy_status_does_not_need_remediation()
    {
        var hub = Hub(["p"], "c1", "c2");
        hub.Policy("p", "ztp", All("NonCompliant", "c1"));
        hub.Decide();
        Assert.Equal([["c1"]], hub.Status.RemediationPlan!);
    }

    [Fact]
    public void All_compliant_completes_at_once()
    {
        var hub = Hub(["p"], "c1");
        hub.Policy("p", "ztp", All("Compliant", "c1"));
        var d = hub.Decide();
        var st = hub.Status;
        Assert.Equal(["p"], st.ManagedPoliciesCompliantBeforeUpgrade!);
        Assert.Null(st.RemediationPlan);
        foreach (var type in new[] { ConditionTypes.Progressing, ConditionTypes.Succeeded })
        {
            var c = hub.Condition(type)!;
            Assert.Equal(("Completed", "All clusters already compliant with the specified managed policies"), (c.Reason, c.Message));
        }
        Assert.Equal(("False", "True"), (hub.Condition(ConditionTypes.Progressing)!.Status, hub.Condition(ConditionTypes.Succeeded)!.Status));
        Assert.Null(d.RequeueAfter);
    }

    [Fact]
    public void Managed_policies_content_lists_subscriptions_with_keys_in_contract_order()
    {
        var hub = Hub(["subs", "raw", "none"], "c1");
        hub.Policy("subs", "ztp", All("NonCompliant", "c1"), Fixtures.ConfigPolicy("""
            [{"complianceType":"musthave","objectDefinition":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"namespace":"openshift-ptp","name":"ptp-operator-subscription"},"spec":{"name":"ptp-operator","channel":"stable"}}},
             {"complianceType":"mustnothave","objectDefinition":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"gone","namespace":"x"}}},
             {"complianceType":"musthave","objectDefinition":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"clusterwide"}}},
             {"complianceType":"musthave","objectDefinition":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"openshift-ptp"}}}]
            """));
        hub.Policy("raw", "ztp", All("NonCompliant", "c1"), Fixtures.RawConfigPolicy("""
            - complianceType: musthave
              objectDefinition:
                apiVersion: operators.coreos.com/v1alpha1
                kind: Subscription
                metadata:
                  name: sriov-operator-subscription
                  namespace: openshift-sriov-network-operator
            """));
        hub.Policy("none", "ztp", All("NonCompliant", "c1"));
        hub.Decide();
        var content = hub.Status.ManagedPoliciesContent!;
        Assert.Equal(
            """[{"kind":"Subscription","name":"ptp-operator-subscription","apiVersion":"operators.coreos.com/v1alpha1","namespace":"openshift-ptp"},{"kind":"Subscription","name":"clusterwide","apiVersion":"operators.coreos.com/v1alpha1"}]""",
            content["subs"]);
        Assert.Equal(
            """[{"kind":"Subscription","name":"sriov-operator-subscription","apiVersion":"operators.coreos.com/v1alpha1","namespace":"openshift-sriov-network-operator"}]""",
            content["raw"]);
        Assert.False(content.ContainsKey("none"));
    }
}
