using System.Text.Json.Nodes;
using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Tests;

/// <summary>kuttl's matching rules: maps are subsets, lists match in length and order, scalars by value and type.</summary>
public sealed class SubsetTests
{
    private static JsonNode? Yaml(string yaml) => KuttlYaml.ParseDocuments(yaml)[0];

    private const string Actual = """
        apiVersion: ran.openshift.io/v1alpha1
        kind: ClusterGroupUpgrade
        metadata:
          name: cgu
          namespace: default
          labels:
            app.kubernetes.io/name: talm
        spec:
          clusters: [spoke1, spoke2]
          enable: true
          remediationStrategy:
            maxConcurrency: 2
            timeout: 240
        status:
          conditions:
          - type: ClustersSelected
            status: "True"
            reason: ClusterSelectionCompleted
          - type: Validated
            status: "True"
            reason: ValidationCompleted
          - type: Progressing
            status: "False"
            reason: NotEnabled
        """;

    [Fact]
    public void A_map_matches_when_its_keys_match_and_extra_keys_are_ignored()
    {
        var expected = Yaml("""
            kind: ClusterGroupUpgrade
            metadata:
              name: cgu
            spec:
              remediationStrategy:
                timeout: 240
            """);
        Assert.Null(Subset.Difference(expected, Yaml(Actual)));
    }

    [Fact]
    public void A_missing_key_is_named_with_its_path()
    {
        var expected = Yaml("""
            status:
              status:
                currentBatch: 1
            """);
        Assert.Equal("status.status: missing (want {\"currentBatch\":1})", Subset.Difference(expected, Yaml(Actual)));
    }

    [Fact]
    public void A_different_value_shows_what_was_wanted_and_what_is_there()
    {
        var expected = Yaml("""
            status:
              conditions:
              - type: ClustersSelected
              - type: Validated
              - type: Progressing
                reason: InProgress
            """);
        Assert.Equal("status.conditions[2].reason: want \"InProgress\", got \"NotEnabled\"", Subset.Difference(expected, Yaml(Actual)));
    }

    [Fact]
    public void Lists_must_have_the_same_length()
    {
        var expected = Yaml("""
            status:
              conditions:
              - type: ClustersSelected
              - type: Validated
            """);
        Assert.Equal(
            "status.conditions: want 2 items, got 3 (want types [ClustersSelected Validated], got [ClustersSelected Validated Progressing])",
            Subset.Difference(expected, Yaml(Actual)));
    }

    [Fact]
    public void Lists_must_match_in_order()
    {
        var expected = Yaml("""
            spec:
              clusters: [spoke2, spoke1]
            """);
        Assert.Equal("spec.clusters[0]: want \"spoke2\", got \"spoke1\"", Subset.Difference(expected, Yaml(Actual)));
    }

    [Fact]
    public void List_items_are_matched_as_subsets()
    {
        var expected = Yaml("""
            status:
              conditions:
              - reason: ClusterSelectionCompleted
              - {}
              - status: "False"
            """);
        Assert.Null(Subset.Difference(expected, Yaml(Actual)));
    }

    [Fact]
    public void Types_must_match_a_quoted_true_is_not_a_boolean()
    {
        Assert.Equal("spec.enable: want \"true\", got true (bool instead of string)", Subset.Difference(Yaml("spec: {enable: \"true\"}"), Yaml(Actual)));
        Assert.Equal("status.conditions[0].status: want true, got \"True\" (string instead of bool)",
            Subset.Difference(Yaml("status: {conditions: [{status: true}, {}, {}]}"), Yaml(Actual)));
    }

    [Fact]
    public void Numbers_compare_by_value()
    {
        Assert.Null(Subset.Difference(Yaml("spec: {remediationStrategy: {maxConcurrency: 2.0}}"), Yaml(Actual)));
        Assert.Equal("spec.remediationStrategy.maxConcurrency: want 3, got 2",
            Subset.Difference(Yaml("spec: {remediationStrategy: {maxConcurrency: 3}}"), Yaml(Actual)));
    }

    [Fact]
    public void An_empty_map_matches_any_map_but_not_a_missing_one()
    {
        Assert.Null(Subset.Difference(Yaml("status: {}"), Yaml(Actual)));
        Assert.Equal("metadata.annotations: missing (want {})", Subset.Difference(Yaml("metadata: {annotations: {}}"), Yaml(Actual)));
    }

    [Fact]
    public void Keys_that_are_not_plain_words_are_quoted_in_the_path()
    {
        Assert.Equal("metadata.labels[\"app.kubernetes.io/name\"]: want \"other\", got \"talm\"",
            Subset.Difference(Yaml("metadata: {labels: {app.kubernetes.io/name: other}}"), Yaml(Actual)));
    }

    [Fact]
    public void Yaml_reads_scalars_as_kuttl_does()
    {
        var doc = (JsonObject)Yaml("""
            a: yes
            b: off
            c: "yes"
            d: 0777
            e: 1.5
            f: ~
            g: 12
            """)!;
        Assert.True(doc["a"]!.GetValue<bool>());
        Assert.False(doc["b"]!.GetValue<bool>());
        Assert.Equal("yes", doc["c"]!.GetValue<string>());
        Assert.Equal(511, doc["d"]!.GetValue<long>());
        Assert.Equal(1.5, doc["e"]!.GetValue<double>());
        Assert.Null(doc["f"]);
        Assert.Equal(12, doc["g"]!.GetValue<long>());
    }

    [Fact]
    public void Documents_without_a_kind_are_dropped()
    {
        var objects = KuttlYaml.ParseObjects("""
            # a comment-only document

            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: one}
            ---
            ---
            apiVersion: v1
            metadata: {name: no-kind}
            """);
        Assert.Single(objects);
        Assert.Equal("one", (string?)objects[0]["metadata"]!["name"]);
    }
}
