using System.Text.Json.Nodes;
using Talm.Lab.Hub;
using Talm.Lab.Rhacm;

namespace Talm.Lab.Tests;

public sealed class JsonTests
{
    [Fact]
    public void Merge_patch_nulls_what_disappeared_and_replaces_arrays()
    {
        var from = JsonNode.Parse("""{"result":{"status":{"active":1,"startTime":"t"}},"conditions":[{"a":1}]}""")!.AsObject();
        var to = JsonNode.Parse("""{"result":{"status":{"succeeded":1,"startTime":"t"}},"conditions":[{"a":2}]}""")!.AsObject();
        var patch = Json.MergePatch(from, to);
        Assert.Equal("""{"result":{"status":{"active":null,"succeeded":1}},"conditions":[{"a":2}]}""", patch.ToJsonString());
        Assert.Empty(Json.MergePatch(to, (JsonObject)to.DeepClone()));
    }

    [Fact]
    public void Placement_predicates_select_by_labels_and_by_name()
    {
        var clusters = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["c1"] = new Dictionary<string, string> { ["group-du-sno"] = "" },
            ["c2"] = new Dictionary<string, string>(),
            ["c3"] = new Dictionary<string, string> { ["group-du-sno"] = "" },
        };
        var byLabel = JsonNode.Parse("""{"spec":{"predicates":[{"requiredClusterSelector":{"labelSelector":{"matchExpressions":[{"key":"group-du-sno","operator":"Exists"}]}}}]}}""")!;
        Assert.Equal(["c1", "c3"], PlacementDecider.Decide(byLabel, clusters).Order().ToArray());
        var byName = JsonNode.Parse("""{"spec":{"predicates":[{"requiredClusterSelector":{"labelSelector":{"matchExpressions":[{"key":"name","operator":"In","values":["c2"]}]}}}]}}""")!;
        Assert.Equal(["c2"], PlacementDecider.Decide(byName, clusters).ToArray());
        var none = JsonNode.Parse("""{"spec":{"predicates":[{"requiredClusterSelector":{"labelSelector":{"matchExpressions":[{"key":"name","operator":"In","values":[]}]}}}]}}""")!;
        Assert.Empty(PlacementDecider.Decide(none, clusters));
    }
}

public sealed class YamlDocumentTests
{
    [Fact]
    public void Yaml_and_json_cgus_keep_numbers_and_booleans()
    {
        var yaml = Talm.Lab.Scenario.YamlDocument.ToJsonObject("metadata:\n  name: x\nspec:\n  backup: true\n  remediationStrategy:\n    maxConcurrency: 500\n    timeout: 240\n");
        var json = Talm.Lab.Scenario.YamlDocument.ToJsonObject("""{"metadata":{"name":"x"},"spec":{"backup":true,"remediationStrategy":{"maxConcurrency":500,"timeout":240}}}""");
        foreach (var doc in new[] { yaml, json })
        {
            Assert.Equal(500, doc["spec"]!["remediationStrategy"]!["maxConcurrency"]!.GetValue<int>());
            Assert.True(doc["spec"]!["backup"]!.GetValue<bool>());
        }
    }
}
