using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

/// <summary>
/// Which clusters a CGU covers and in what order (getAllClustersForUpgrade, validateCR): listed clusters
/// first without duplicates, then those of clusterSelector and clusterLabelSelectors sorted by name;
/// every one a ManagedCluster, every canary among them; computedMaxConcurrency written on its own.
/// </summary>
public sealed class SelectionTests
{
    private static readonly Dictionary<string, Dictionary<string, string>> Labels = new()
    {
        ["spoke1"] = new() { ["upgrade"] = "true", ["env"] = "lab" },
        ["spoke2"] = new() { ["upgrade2"] = "true" },
        ["spoke3"] = new() { ["env"] = "" },
        ["spoke4"] = new() { ["upgrade"] = "false", ["env"] = "prod" },
        ["spoke5"] = new() { ["env"] = "prod" },
        ["spoke6"] = new(),
    };

    private static FakeHub Hub(Func<ClusterGroupUpgradeSpec, ClusterGroupUpgradeSpec> spec)
    {
        var cgu = Fixtures.Cgu(null, ["p"], maxConcurrency: 0).WithSpec(spec);
        var hub = new FakeHub(cgu);
        foreach (var (name, labels) in Labels)
            hub.Cluster(name, labels);
        hub.Policy("p", ComplianceStates.NonCompliant, [.. Labels.Keys]);
        return hub;
    }

    private static LabelSelector Exists(string key) => new() { MatchExpressions = [new LabelSelectorRequirement { Key = key, Operator = "Exists" }] };

    public static TheoryData<string, Func<ClusterGroupUpgradeSpec, ClusterGroupUpgradeSpec>, string[]> Selections => new()
    {
        { "listed, duplicates dropped", s => s with { Clusters = ["spoke5", "spoke1", "spoke5"] }, ["spoke5", "spoke1"] },
        { "clusterSelector key=value", s => s with { ClusterSelector = ["env=prod"] }, ["spoke4", "spoke5"] },
        { "clusterSelector key alone means an empty value", s => s with { ClusterSelector = ["env"] }, ["spoke3"] },
        { "malformed clusterSelector ignored", s => s with { ClusterSelector = ["env=prod=x", "upgrade2=true"] }, ["spoke2"] },
        { "matchLabels", s => s with { ClusterLabelSelectors = [new LabelSelector { MatchLabels = Show.Map(("upgrade2", "true")) }] }, ["spoke2"] },
        {
            "listed first, then selected sorted (kuttl cluster-selector)",
            s => s with { Clusters = ["spoke6", "spoke5"], ClusterLabelSelectors = [new LabelSelector { MatchLabels = Show.Map(("upgrade2", "true")) }, Exists("upgrade")] },
            ["spoke6", "spoke5", "spoke1", "spoke2", "spoke4"]
        },
        {
            "In and NotIn",
            s => s with { ClusterLabelSelectors = [new LabelSelector { MatchExpressions = [new() { Key = "env", Operator = "In", Values = ["prod", "lab"] }, new() { Key = "upgrade", Operator = "NotIn", Values = ["false"] }] }] },
            ["spoke1", "spoke5"]
        },
        { "DoesNotExist", s => s with { ClusterLabelSelectors = [new LabelSelector { MatchExpressions = [new() { Key = "env", Operator = "DoesNotExist" }] }] }, ["spoke2", "spoke6"] },
        { "an empty selector selects every cluster", s => s with { ClusterLabelSelectors = [new LabelSelector()] }, ["spoke1", "spoke2", "spoke3", "spoke4", "spoke5", "spoke6"] },
        { "both selector kinds, each cluster once", s => s with { Clusters = ["spoke4"], ClusterSelector = ["env=prod"], ClusterLabelSelectors = [Exists("env")] }, ["spoke4", "spoke1", "spoke3", "spoke5"] },
    };

    [Theory]
    [MemberData(nameof(Selections))]
    public void Clusters_are_selected_in_the_reference_order(string what, Func<ClusterGroupUpgradeSpec, ClusterGroupUpgradeSpec> spec, string[] expected)
    {
        var hub = Hub(spec);
        hub.Settle();
        Assert.True(hub.Status.RemediationPlan is { Count: 1 }, what);
        Assert.Equal(expected, hub.Status.RemediationPlan![0]);
        Assert.Equal(expected.Length, hub.Status.ComputedMaxConcurrency);
        Assert.Equal("ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid", Show.Conditions(hub)[0]);
    }

    public static TheoryData<string, Func<ClusterGroupUpgradeSpec, ClusterGroupUpgradeSpec>, string, string?> Failures => new()
    {
        { "nothing to select from", s => s, "cannot obtain all the details about the clusters in the CR: no cluster specified for remediation", null },
        { "missing clusters", s => s with { Clusters = ["spoke1", "spoke9", "spoke8"] }, "cluster spoke9 is not a ManagedCluster", "spoke9,spoke8" },
        { "canary not selected", s => s with { Clusters = ["spoke1"], RemediationStrategy = new RemediationStrategy { Canaries = ["spoke2"] } }, "canary cluster spoke2 is not in the list of clusters", null },
        {
            "invalid operator",
            s => s with { ClusterLabelSelectors = [new LabelSelector { MatchExpressions = [new() { Key = "env", Operator = "Equals", Values = ["x"] }] }] },
            "cannot obtain all the details about the clusters in the CR: \"Equals\" is not a valid label selector operator", null
        },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_selection_that_fails_is_reported_and_retried_in_five_minutes(string what, Func<ClusterGroupUpgradeSpec, ClusterGroupUpgradeSpec> spec, string error, string? missing)
    {
        var hub = Hub(spec);
        var d = hub.Decide();
        Assert.True(d.StatusChanged, what);
        Assert.Equal([$"ClustersSelected False ClusterNotFound: Unable to select clusters: {error}"], Show.Conditions(hub));
        Assert.Equal(TimeSpan.FromMinutes(5), d.RequeueAfter);
        Assert.Empty(d.Intents);
        // The validation failure event is sent whenever the message is new (as the reference, also without missing clusters).
        var e = Assert.Single(d.Events);
        Assert.Equal(("Warning", "CguValidationFailure", "RemediationOnHoldDueToValidationFailure"), (e.Type, e.Reason, e.Action));
        Assert.Equal($"ClusterGroupUpgrade cgu: validation failure (missing clusters): {missing}", e.Note);
        Assert.Equal($"cgu.openshift.io/missing-clusters={missing} cgu.openshift.io/missing-clusters-count={(missing is null ? 0 : missing.Split(',').Length)}", Show.Annotations(e));
        // The same failure again: no second event.
        hub.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(hub.Decide().Events);
    }

    [Fact]
    public void A_cluster_that_appears_later_lets_the_cgu_go_on()
    {
        var hub = Hub(s => s with { Clusters = ["spoke1", "spoke9"] });
        hub.Decide();
        hub.Cluster("spoke9");
        hub.Root("p").Compliance["spoke9"] = ComplianceStates.NonCompliant;
        hub.Settle();
        Assert.Equal("ClustersSelected True ClusterSelectionCompleted: All selected clusters are valid", Show.Conditions(hub)[0]);
        Assert.Equal([["spoke1", "spoke9"]], hub.Status.RemediationPlan);
    }

    [Theory]
    [InlineData(0, 3, 3)]
    [InlineData(-1, 3, 3)]
    [InlineData(2, 3, 2)]
    [InlineData(3, 3, 3)]
    [InlineData(5, 3, 3)]
    [InlineData(3, 1, 1)]
    public void Computed_max_concurrency_is_max_concurrency_capped_by_the_cluster_count(int maxConcurrency, int clusters, int expected)
    {
        var hub = Fixtures.Hub(clusters: clusters, maxConcurrency: maxConcurrency, enable: false);
        hub.Decide();
        Assert.Equal(expected, hub.Status.ComputedMaxConcurrency);
    }

    [Fact]
    public void A_changed_cluster_count_is_written_again_before_anything_else()
    {
        var hub = Hub(s => s with { Clusters = ["spoke1", "spoke2"], Enable = false });
        hub.Settle();
        Assert.Equal(2, hub.Status.ComputedMaxConcurrency);
        var before = Show.Conditions(hub);
        hub.Cgu = hub.Cgu.WithSpec(s => s with { Clusters = ["spoke1", "spoke2", "spoke3"] });
        var d = hub.Decide();
        Assert.Equal(3, hub.Status.ComputedMaxConcurrency);
        Assert.Equal(TimeSpan.Zero, d.RequeueAfter);
        Assert.Equal(before, Show.Conditions(hub)); // nothing else written in that reconcile
        Assert.Equal([["spoke1", "spoke2"]], hub.Status.RemediationPlan);
        hub.Decide();
        Assert.Equal([["spoke1", "spoke2", "spoke3"]], hub.Status.RemediationPlan);
    }
}
