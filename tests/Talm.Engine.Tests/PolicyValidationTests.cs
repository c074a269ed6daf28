using System.Text.Json;

namespace Talm.Engine.Tests;

/// <summary>
/// The managed policies (doManagedPoliciesExist, InspectPolicyObjects, processManagedPolicyForMonitoredObjects,
/// validatePoliciesDependenciesOrder, validateOpenshiftUpgradeVersion): which are for upgrade, which are
/// compliant already, which make the CGU invalid, and the update graph the release is looked up in.
/// </summary>
public sealed class PolicyValidationTests
{
    private static readonly string[] Clusters = ["c1", "c2"];

    private static FakeHub Hub(string[] policies, bool preCaching = false, bool enable = false)
    {
        var hub = new FakeHub(Fixtures.Cgu(Clusters, policies, maxConcurrency: 2, enable: enable, preCaching: preCaching));
        hub.Clusters(Clusters);
        return hub;
    }

    private static JsonElement Template(string json) => Views.Json(json);

    private static Policy Child(string name, string cluster, bool label = true, bool cgu = false)
    {
        var labels = new Dictionary<string, string>();
        if (label)
            labels["policy.open-cluster-management.io/root-policy"] = name;
        if (cgu)
            labels["openshift-cluster-group-upgrades/clusterGroupUpgrade"] = "other";
        return new Policy
        {
            Metadata = new ObjectMeta { Name = name, Namespace = cluster, Labels = labels },
            Spec = new PolicySpec { RemediationAction = "inform", PolicyTemplates = [new PolicyTemplate { ObjectDefinition = Fixtures.ConfigPolicy(Fixtures.ConfigMap("cm")) }] },
        };
    }

    public static TheoryData<string, Action<FakeHub>, string> Invalid => new()
    {
        { "a name no selected cluster has a child of", h => h.Policy("p", "NonCompliant", ["c3"]), "NotAllManagedPoliciesExist: Missing managed policies: [p] " },
        { "a child without its root", h => h.Policy("p", "NonCompliant", Clusters).RootMissing = true, "NotAllManagedPoliciesExist: Missing managed policies: [p] " },
        { "a child policy name without a dot", h => { h.Policy("p", "NonCompliant", ["c3"]); h.Put(Child("p", "c1")); }, "NotAllManagedPoliciesExist: Missing managed policies: [p] " },
        { "a child without the root-policy label", h => { h.Policy("p", "NonCompliant", ["c3"]); h.Put(Child("ztp.p", "c1", label: false)); }, "NotAllManagedPoliciesExist: Missing managed policies: [p] " },
        { "a copy made for a CGU is no child", h => { h.Policy("p", "NonCompliant", ["c3"]); h.Put(Child("ztp.p", "c1", cgu: true)); }, "NotAllManagedPoliciesExist: Missing managed policies: [p] " },
        {
            "a hub template RHACM could not resolve",
            h => h.Policy("p", "NonCompliant", Clusters).ChildTemplates = [Fixtures.ConfigPolicy(Fixtures.ConfigMap("{{hub fromConfigMap '' 'x' 'y' hub}}"))],
            "NotAllManagedPoliciesExist: Invalid managed policies: [p] "
        },
        { "no objectDefinition", h => h.Policy("p", "NonCompliant", Clusters, Template("null")), "NotAllManagedPoliciesExist: Invalid managed policies: [p] " },
        { "no metadata", h => h.Policy("p", "NonCompliant", Clusters, Template("""{"kind":"ConfigurationPolicy","spec":{"object-templates":[]}}""")), "NotAllManagedPoliciesExist: Invalid managed policies: [p] " },
        { "no spec", h => h.Policy("p", "NonCompliant", Clusters, Template("""{"kind":"ConfigurationPolicy","metadata":{"name":"x"}}""")), "NotAllManagedPoliciesExist: Invalid managed policies: [p] " },
        { "both object-templates and object-templates-raw", h => h.Policy("p", "NonCompliant", Clusters, Template("""{"metadata":{"name":"x"},"spec":{"object-templates":[],"object-templates-raw":"- a: b"}}""")), "NotAllManagedPoliciesExist: Invalid managed policies: [p] " },
        { "neither", h => h.Policy("p", "NonCompliant", Clusters, Template("""{"metadata":{"name":"x"},"spec":{"severity":"low"}}""")), "NotAllManagedPoliciesExist: Invalid managed policies: [p] " },
        { "object-templates-raw that is no YAML list", h => h.Policy("p", "NonCompliant", Clusters, Fixtures.RawConfigPolicy("a: [b")), "NotAllManagedPoliciesExist: Invalid managed policies: [p] " },
        { "an object template without objectDefinition", h => h.Policy("p", "NonCompliant", Clusters, Template("""{"metadata":{"name":"x"},"spec":{"object-templates":[{"complianceType":"musthave"}]}}""")), "NotAllManagedPoliciesExist: Invalid managed policies: [p] " },
        {
            "missing and invalid together: the invalid message wins",
            h => { h.Policy("p", "NonCompliant", Clusters, Template("null")); h.Cgu = h.Cgu.WithSpec(s => s with { ManagedPolicies = ["gone", "p"] }); },
            "NotAllManagedPoliciesExist: Invalid managed policies: [p] "
        },
        {
            "a name in two namespaces (kuttl duplicated-managed-policy-name)",
            h =>
            {
                h.Policy("p3", "default", new Dictionary<string, string?> { ["c1"] = "NonCompliant" });
                h.Policy("p3", "bbb", new Dictionary<string, string?> { ["c2"] = "NonCompliant" });
                h.Policy("p3", "aaa", new Dictionary<string, string?> { ["c2"] = "NonCompliant" });
                h.Policy("p2", "bbb", new Dictionary<string, string?> { ["c1"] = "NonCompliant" });
                h.Policy("p2", "aaa", new Dictionary<string, string?> { ["c2"] = "NonCompliant" });
                h.Cgu = h.Cgu.WithSpec(s => s with { ManagedPolicies = ["p3", "p2", "p"] });
            },
            """AmbiguousManagedPoliciesNames: Managed policy name should be unique, but was found in multiple namespaces: {"p2":["aaa","bbb"],"p3":["aaa","bbb","default"]} """
        },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Policies_that_cannot_be_used_stop_the_cgu_at_validation(string what, Action<FakeHub> setup, string expected)
    {
        var hub = Hub(["p"]);
        setup(hub);
        var d = hub.Settle();
        Assert.True(d.StatusChanged || hub.Decisions.Count > 1, what);
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            $"Validated False {expected}",
        ], Show.Conditions(hub));
        Assert.Equal(TimeSpan.FromMinutes(1), d.RequeueAfter);
        Assert.Null(hub.Status.RemediationPlan);
        Assert.Empty(hub.All<Placement>());
    }

    public static TheoryData<string, Action<FakeHub>, string, string> ValidationEvents => new()
    {
        { "missing", h => h.Cgu = h.Cgu.WithSpec(s => s with { ManagedPolicies = ["x", "y"] }), "validation failure (missing policies): x,y", "cgu.openshift.io/missing-policies=x,y" },
        { "invalid", h => h.Policy("p", "NonCompliant", Clusters, Template("null")), "validation failure (invalid policies): p", "cgu.openshift.io/invalid-policies=p" },
        {
            "ambiguous",
            h => { h.Policy("p", "a", new Dictionary<string, string?> { ["c1"] = null }); h.Policy("p", "b", new Dictionary<string, string?> { ["c2"] = null }); },
            "validation failure (ambiguous policies): p", "cgu.openshift.io/ambiguous-policies=p"
        },
    };

    [Theory]
    [MemberData(nameof(ValidationEvents))]
    public void A_new_validation_failure_is_announced_once(string what, Action<FakeHub> setup, string note, string annotations)
    {
        var hub = Hub(["p"]);
        setup(hub);
        hub.Settle();
        var e = Assert.Single(hub.Events, e => e.Reason == "CguValidationFailure");
        Assert.Equal(("Warning", "RemediationOnHoldDueToValidationFailure", $"ClusterGroupUpgrade cgu: {note}", annotations),
            (e.Type, e.Action, e.Note, Show.Annotations(e)));
        hub.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(hub.Decide().Events, x => x.Reason == "CguValidationFailure");
        Assert.NotNull(what);
    }

    [Fact]
    public void Policies_are_sorted_into_for_upgrade_compliant_before_and_ignored()
    {
        var hub = Hub(["enforced", "done", "done-but-states-status", "pending", "no-status", "partly", "Enforced-upper"]);
        hub.Policy("enforced", "NonCompliant", Clusters).ChildAction = "enforce";
        hub.Policy("Enforced-upper", "NonCompliant", Clusters).ChildAction = "Enforce";
        hub.Policy("done", "Compliant", Clusters);
        hub.Policy("done-but-states-status", "Compliant", Clusters,
            Fixtures.ConfigPolicy(Fixtures.Subscription("sub", "ns", "pkg", "stable", status: """{"state":"AtLatestKnown"}""")));
        hub.Policy("pending", "Pending", Clusters);
        hub.Policy("no-status", "Compliant", Clusters).NoStatus = true;
        hub.Policy("partly", "ztp", new Dictionary<string, string?> { ["c1"] = "Compliant", ["c2"] = null });
        hub.Settle();
        var st = hub.Status;
        Assert.Equal(["done-but-states-status", "pending", "no-status", "partly"], st.ManagedPoliciesForUpgrade!.Select(p => p.Name));
        Assert.Equal(["done"], st.ManagedPoliciesCompliantBeforeUpgrade);
        Assert.Equal(["done-but-states-status", "no-status", "partly", "pending"], st.ManagedPoliciesNs!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Validated True ValidationCompleted: Completed validation", Show.Conditions(hub)[1]);
        // pending and no status count as NonCompliant; a compliant policy that states a status is remediated anyway.
        Assert.Equal([["c1", "c2"]], st.RemediationPlan);
    }

    [Fact]
    public void A_cluster_the_policy_status_does_not_list_needs_no_remediation()
    {
        // kuttl policy-has-missing-cluster-status: spoke1 is not in policy3's status.
        var hub = Hub(["p2", "p3"]);
        hub.Clusters("c3");
        hub.Cgu = hub.Cgu.WithSpec(s => s with { Clusters = ["c1", "c2", "c3"] });
        hub.Policy("p2", "ztp", new Dictionary<string, string?> { ["c1"] = "Compliant", ["c2"] = "Compliant", ["c3"] = "Compliant" });
        var p3 = hub.Policy("p3", "ztp", new Dictionary<string, string?> { ["c2"] = "NonCompliant", ["c3"] = "Compliant" });
        p3.ChildOnly.Add("c1");
        hub.Settle();
        Assert.Equal(["p3"], hub.Status.ManagedPoliciesForUpgrade!.Select(p => p.Name));
        Assert.Equal([["c2"]], hub.Status.RemediationPlan);
    }

    [Fact]
    public void All_policies_compliant_already_ends_the_cgu_at_once()
    {
        var hub = Hub(["p"], enable: true);
        hub.Policy("p", "Compliant", Clusters);
        hub.Settle();
        Assert.Equal(
        [
            "ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid",
            "Validated True ValidationCompleted: Completed validation",
            "Progressing False Completed: All clusters are compliant with all the managed policies",
            "Succeeded True Completed: All clusters already compliant with the specified managed policies",
        ], Show.Conditions(hub));
        Assert.Equal(["c1", "c2"], hub.Status.Clusters!.Select(c => c.Name));
        Assert.Null(hub.Status.ManagedPoliciesForUpgrade);
        Assert.Equal(["p"], hub.Status.ManagedPoliciesCompliantBeforeUpgrade);
        Assert.Null(hub.Status.RemediationPlan);
        Assert.Null(hub.Status.Placements);
        Assert.NotNull(hub.Progress.CompletedAt);
        Assert.Contains(hub.Events, e => e.Reason == "CguSuccess" && e.Action == "RemediationCompleted");
    }

    [Fact]
    public void Managed_policies_content_lists_each_policys_subscriptions_as_the_reference_marshals_them()
    {
        var hub = Hub(["subs", "raw", "none"]);
        hub.Policy("subs", "NonCompliant", Clusters, Fixtures.ConfigPolicy(
            Fixtures.Subscription("a-sub", "ns-a", "a", "stable"),
            Fixtures.ConfigMap("cm"),
            Fixtures.MustHave("""{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"gone","namespace":"x"}}""", "mustnothave"),
            Fixtures.MustHave("""{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"no-namespace"}}"""),
            Fixtures.MustHave("""{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"namespace":"no-name"}}"""),
            Fixtures.Subscription("b-sub", "ns-b", "b", "4.16")));
        hub.Policy("raw", "NonCompliant", Clusters, Fixtures.RawConfigPolicy("""
            {{- range $sub := (lookup "v1" "ConfigMap" "ns" "subs").data }}
            - complianceType: musthave
              objectDefinition:
                apiVersion: operators.coreos.com/v1alpha1
                kind: Subscription
                metadata:
                  name: {{ $sub }}
                  namespace: openshift-raw
            {{- end }}
            """));
        hub.Policy("none", "NonCompliant", Clusters);
        hub.Settle();
        Assert.Equal(new Dictionary<string, string>
        {
            ["subs"] = """[{"kind":"Subscription","name":"a-sub","apiVersion":"operators.coreos.com/v1alpha1","namespace":"ns-a"},{"kind":"Subscription","name":"b-sub","apiVersion":"operators.coreos.com/v1alpha1","namespace":"ns-b"}]""",
            ["raw"] = """[{"kind":"Subscription","name":"placeholder","apiVersion":"operators.coreos.com/v1alpha1","namespace":"openshift-raw"}]""",
        }, hub.Status.ManagedPoliciesContent);
    }

    public static TheoryData<string, string[], (string Policy, string Depends, string? Ns)[], string?> Dependencies => new()
    {
        { "on an earlier policy", ["p0", "p1"], [("p1", "p0", "ztp")], null },
        { "on a later policy (kuttl dependency-order)", ["p0", "p1"], [("p0", "p1", "ztp")], "Managed Policy p0 depends on p1, which is to be remediated later" },
        { "on a policy in another namespace", ["p0", "p1"], [("p0", "p1", "other")], null },
        { "on a policy not in the CGU", ["p0", "p1"], [("p0", "x", "ztp")], null },
        { "the first offender is reported", ["p0", "p1", "p2"], [("p0", "p2", "ztp"), ("p1", "p2", "ztp")], "Managed Policy p0 depends on p2, which is to be remediated later" },
    };

    [Theory]
    [MemberData(nameof(Dependencies))]
    public void A_policy_may_only_depend_on_policies_remediated_before_it(string what, string[] policies, (string Policy, string Depends, string? Ns)[] deps, string? error)
    {
        var hub = Hub(policies);
        foreach (var p in policies)
        {
            var root = hub.Policy(p, "NonCompliant", Clusters);
            root.Dependencies = [.. deps.Where(d => d.Policy == p).Select(d => new PolicyDependency { ApiVersion = "policy.open-cluster-management.io/v1", Kind = "Policy", Name = d.Depends, Namespace = d.Ns, Compliance = "Compliant" })];
        }
        var d = hub.Settle();
        var validated = Show.Conditions(hub)[1];
        if (error is null)
        {
            Assert.Equal("Validated True ValidationCompleted: Completed validation", validated);
            return;
        }
        Assert.Equal($"Validated False UnresolvableDenpendency: {error}", validated);
        Assert.Equal(2, Show.Conditions(hub).Count);
        Assert.Equal(TimeSpan.FromMinutes(5), d.RequeueAfter);
        Assert.Null(hub.Status.RemediationPlan);
        Assert.NotNull(what);
    }

    private const string Upstream = "https://api.openshift.com/api/upgrades_info/v1/graph";
    private const string GraphUrl = Upstream + "?channel=stable-4.16";

    private static UpdateGraph Graph(params (string, string)[] nodes) => new() { Nodes = nodes };

    public static TheoryData<string, string[], bool, UpdateGraph?, string?> Platform => new()
    {
        { "no ClusterVersion", [Fixtures.ConfigMap("cm")], false, null, null },
        { "an image given outright", [Fixtures.ClusterVersion(version: "4.16.3", image: "quay.io/ocp/release:4.16.3")], false, null, null },
        { "no upstream", [Fixtures.ClusterVersion(channel: "stable-4.16", version: "4.16.3")], false, null, "policy with ClusterVersion must have upstream, channel, and version when image is not provided" },
        { "no version", [Fixtures.ClusterVersion(Upstream, "stable-4.16")], false, null, "policy with ClusterVersion must have upstream, channel, and version when image is not provided" },
        { "a template without pre-caching", [Fixtures.ClusterVersion(Upstream, "stable-4.16", "{{ .Version }}")], false, null, null },
        { "a template with pre-caching", [Fixtures.ClusterVersion(Upstream, "stable-4.16", "{{ .Version }}")], true, null, "templatized ClusterVersion fields not supported with precaching" },
        { "the version is in the graph", [Fixtures.ClusterVersion(Upstream, "stable-4.16", "4.16.3")], false, Graph(("4.16.2", "quay.io/r@sha256:2"), ("4.16.3", "quay.io/r@sha256:3")), null },
        { "the version is not in the graph", [Fixtures.ClusterVersion(Upstream, "stable-4.16", "4.16.9")], false, Graph(("4.16.3", "quay.io/r@sha256:3")), $"unable to find version 4.16.9 on update graph on url {GraphUrl}" },
        { "the version has no payload", [Fixtures.ClusterVersion(Upstream, "stable-4.16", "4.16.3")], false, Graph(("4.16.3", "")), $"unable to find version 4.16.3 on update graph on url {GraphUrl}" },
        { "the graph cannot be fetched", [Fixtures.ClusterVersion(Upstream, "stable-4.16", "4.16.3")], false, new UpdateGraph { Error = $"error response from update graph url {GraphUrl}: 503" }, $"error response from update graph url {GraphUrl}: 503" },
        {
            "two ClusterVersions that disagree",
            [Fixtures.ClusterVersion(Upstream, "stable-4.16", "4.16.3"), Fixtures.ClusterVersion(Upstream, "stable-4.16", "4.16.4")], false, null,
            "platform image defined more then once with conflicting version values"
        },
        {
            "two ClusterVersions with different images",
            [Fixtures.ClusterVersion(image: "quay.io/a"), Fixtures.ClusterVersion(image: "quay.io/b")], false, null,
            "platform image defined more then once with conflicting image values"
        },
        { "a mustnothave ClusterVersion is not read", [Fixtures.ConfigMap("cm"), Fixtures.MustHave("""{"kind":"ClusterVersion","spec":{"channel":"x"}}""", "mustnothave")], false, null, null },
    };

    [Theory]
    [MemberData(nameof(Platform))]
    public void The_release_a_clusterversion_asks_for_must_be_resolvable(string what, string[] objects, bool preCaching, UpdateGraph? graph, string? error)
    {
        var hub = Hub(["p"], preCaching: preCaching);
        hub.Policy("p", "NonCompliant", Clusters, Fixtures.ConfigPolicy(objects));
        if (graph is not null)
            hub.UpdateService[GraphUrl] = graph;
        var d = hub.Settle();
        Assert.Equal(graph is null ? [] : [GraphUrl], hub.GraphRequests);
        var validated = Show.Conditions(hub)[1];
        if (error is null)
        {
            Assert.Equal("Validated True ValidationCompleted: Completed validation", validated);
            return;
        }
        Assert.Equal($"Validated False InvalidPlatformImage: {error}", validated);
        Assert.Equal(TimeSpan.FromMinutes(5), d.RequeueAfter);
        Assert.NotNull(what);
    }

    [Fact]
    public void A_templated_raw_clusterversion_field_is_refused()
    {
        var hub = Hub(["p"]);
        hub.Policy("p", "NonCompliant", Clusters, Fixtures.RawConfigPolicy("""
            - complianceType: musthave
              objectDefinition:
                apiVersion: config.openshift.io/v1
                kind: ClusterVersion
                metadata:
                  name: version
                spec:
                  channel: stable-4.16
                  desiredUpdate:
                    version: {{ $version }}
            """));
        hub.Settle();
        Assert.Equal("Validated False InvalidPlatformImage: templating cluster version fields not supported", Show.Conditions(hub)[1]);
    }

    [Fact]
    public void The_engine_asks_for_a_missing_update_graph_and_writes_nothing_until_it_has_it()
    {
        var hub = Hub(["p"]);
        hub.Policy("p", "NonCompliant", Clusters, Fixtures.ConfigPolicy(Fixtures.ClusterVersion(Upstream, "stable-4.16", "4.16.3")));
        hub.Decide(); // computedMaxConcurrency
        var before = hub.Status;
        var d = hub.Engine.Decide(hub.Snapshot(), hub.Now);
        Assert.Equal([GraphUrl], d.NeedsUpdateGraphs);
        Assert.NotNull(d.Error);
        Assert.Null(d.RequeueAfter);
        Assert.False(d.StatusChanged);
        Assert.Same(before, d.Status);
        Assert.Empty(d.Intents);

        var with = hub.Snapshot() with { UpdateGraphs = new Dictionary<string, UpdateGraph> { [GraphUrl] = Graph(("4.16.3", "quay.io/r@sha256:3")) } };
        var next = hub.Engine.Decide(with, hub.Now);
        Assert.Empty(next.NeedsUpdateGraphs);
        Assert.Null(next.Error);
        Assert.Contains("Validated True ValidationCompleted: Completed validation", Show.Conditions(next.Status));
    }
}
