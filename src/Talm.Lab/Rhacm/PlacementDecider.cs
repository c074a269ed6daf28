using System.Text.Json.Nodes;
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
        var predicates = Json.Items(Json.At(placement, "spec", "predicates")).ToList();
        foreach (var (name, labels) in clusters)
        {
            var withName = labels.ContainsKey("name") ? labels : new Dictionary<string, string>(labels) { ["name"] = name };
            if (predicates.Count == 0 ||
                predicates.Any(p => LabelSelector.Matches(Json.At(p, "requiredClusterSelector", "labelSelector"), withName)))
                yield return name;
        }
    }
}
