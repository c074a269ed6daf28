using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

public sealed class SelectionTests
{
    private static FakeHub Hub(ClusterGroupUpgrade cgu, params string[] clusters)
    {
        var hub = new FakeHub(cgu);
        foreach (var c in clusters)
            hub.Cluster(c, new Dictionary<string, string> { ["group"] = c.StartsWith('a') ? "a" : "b", ["tier"] = c.EndsWith('1') ? "one" : "other" });
        hub.Policy("p", "ztp", clusters.ToDictionary(c => c, _ => (string?)"NonCompliant"));
        return hub;
    }

    [Fact]
    public void Explicit_clusters_keep_spec_order_then_selector_matches_are_sorted_and_appended()
    {
        var cgu = Fixtures.Cgu(["b2", "a9", "b2"], ["p"], maxConcurrency: 0, enable: false).WithSpec(s => s with
        {
            ClusterLabelSelectors = [new LabelSelector { MatchLabels = new Dictionary<string, string> { ["group"] = "a" } }],
            ClusterSelector = ["tier=one"],
        });
        var hub = Hub(cgu, "b2", "a9", "a3", "a1", "b1", "b5");
        hub.Decide();
        Assert.Equal([["b2", "a9", "a1", "a3", "b1"]], hub.Status.RemediationPlan!);
        Assert.Equal(5, hub.Status.ComputedMaxConcurrency);
    }

    [Fact]
    public void Deprecated_selector_without_value_matches_an_empty_label()
    {
        var cgu = Fixtures.Cgu([], ["p"], enable: false).WithSpec(s => s with { ClusterSelector = ["flag"] });
        var hub = new FakeHub(cgu).Cluster("x", new Dictionary<string, string> { ["flag"] = "" }).Cluster("y", new Dictionary<string, string> { ["flag"] = "1" });
        hub.Policy("p", "ztp", new Dictionary<string, string?> { ["x"] = "NonCompliant", ["y"] = "NonCompliant" });
        hub.Decide();
        Assert.Equal([["x"]], hub.Status.RemediationPlan!);
    }

    [Fact]
    public void Match_expressions_select_clusters()
    {
        var cgu = Fixtures.Cgu([], ["p"], maxConcurrency: 5, enable: false).WithSpec(s => s with
        {
            ClusterLabelSelectors = [new LabelSelector { MatchExpressions = [new LabelSelectorRequirement { Key = "group", Operator = "NotIn", Values = ["a"] }] }],
        });
        var hub = Hub(cgu, "a1", "b2", "b1");
        hub.Decide();
        Assert.Equal([["b1", "b2"]], hub.Status.RemediationPlan!);
    }

    [Theory]
    [InlineData(new[] { "c1", "ghost", "ghost2" }, null, "Unable to select clusters: cluster ghost is not a ManagedCluster")]
    [InlineData(new string[0], null, "Unable to select clusters: no cluster specified for remediation")]
    [InlineData(new[] { "c1" }, new[] { "c1", "c2" }, "Unable to select clusters: canary cluster c2 is not in the list of clusters")]
    public void Selection_failures_have_exact_messages(string[] clusters, string[]? canaries, string message)
    {
        var hub = Hub(Fixtures.Cgu(clusters, ["p"], canaries: canaries), "c1", "c2");
        var d = hub.Decide();
        var c = hub.Condition(ConditionTypes.ClustersSelected)!;
        Assert.Equal(("False", "ClusterNotFound", message), (c.Status, c.Reason, c.Message));
        Assert.Null(hub.Condition(ConditionTypes.Validated));
        Assert.Equal(TimeSpan.FromSeconds(30), d.RequeueAfter);
    }

    [Fact]
    public void Valid_selection_sets_the_condition()
    {
        var hub = Hub(Fixtures.Cgu(["c1"], ["p"]), "c1");
        hub.Decide();
        var c = hub.Condition(ConditionTypes.ClustersSelected)!;
        Assert.Equal(("True", "ClusterSelectionCompleted", "All selected clusters are valid"), (c.Status, c.Reason, c.Message));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(-1, 5)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 4)]
    [InlineData(5, 5)]
    [InlineData(9, 5)]
    public void Computed_max_concurrency(int maxConcurrency, int expected)
    {
        var names = Fixtures.Names(5);
        var hub = Hub(Fixtures.Cgu(names, ["p"], maxConcurrency: maxConcurrency, enable: false), names);
        hub.Decide();
        Assert.Equal(expected, hub.Status.ComputedMaxConcurrency);
        Assert.All(hub.Status.RemediationPlan!, b => Assert.True(b.Count <= expected));
        Assert.Equal((5 + expected - 1) / expected, hub.Status.RemediationPlan!.Count);
    }

    [Fact]
    public void Computed_max_concurrency_counts_selected_clusters_not_only_those_needing_remediation()
    {
        var names = Fixtures.Names(4);
        var hub = new FakeHub(Fixtures.Cgu(names, ["p"], maxConcurrency: 3, enable: false));
        foreach (var n in names)
            hub.Cluster(n);
        hub.Policy("p", "ztp", new Dictionary<string, string?> { ["c1"] = "NonCompliant", ["c2"] = "Compliant", ["c3"] = "Compliant", ["c4"] = "NonCompliant" });
        hub.Decide();
        Assert.Equal(3, hub.Status.ComputedMaxConcurrency);
        Assert.Equal([["c1", "c4"]], hub.Status.RemediationPlan!);
    }
}
