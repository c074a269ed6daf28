using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Lab.Hub;

namespace Talm.Lab.Rhacm;

/// <summary>
/// Which managed clusters a Placement selects: its predicates are OR-ed, each a required cluster
/// label selector; no predicate selects every cluster. Clusters carry their name as label <c>name</c>.
/// </summary>
internal static class PlacementDecider
{
    public static IEnumerable<string> Decide(JsonNode placement, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> clusters)
    {
        var selectors = Json.Items(Json.At(placement, "spec", "predicates"))
            .Select(p => Json.At(p, "requiredClusterSelector", "labelSelector") is JsonObject s ? s.Deserialize<LabelSelector>(KubeJson.Options)! : LabelSelector.Everything)
            .ToList();
        foreach (var (name, labels) in clusters)
        {
            var withName = labels.ContainsKey("name") ? labels : new Dictionary<string, string>(labels) { ["name"] = name };
            if (selectors.Count == 0 || selectors.Any(s => s.Matches(withName)))
                yield return name;
        }
    }
}
