using System.Text.Json.Nodes;
using Talm.Lab.Hub;

namespace Talm.Lab.View;

/// <summary>What the hub shows about the rollout at one moment: the table rows and the CGU's conditions.</summary>
public sealed record LabSnapshot(IReadOnlyList<ClusterRow> Rows, IReadOnlyList<CguCondition> Conditions)
{
    public static LabSnapshot From(IReadOnlyList<string> clusters, JsonNode? cgu, JsonNode? policy)
    {
        var status = Json.At(cgu, "status");
        var batches = Json.Items(Json.At(status, "remediationPlan")).Select(b => Json.Strings(b)).ToList();
        var managed = Json.Strings(Json.At(cgu, "spec", "managedPolicies"));
        var compliance = Json.Items(Json.At(policy, "status", "status"))
            .ToDictionary(e => Json.Str(e, "clustername") ?? "", e => Json.Str(e, "compliant") ?? "-", StringComparer.Ordinal);
        var finished = Json.Items(Json.At(status, "clusters"))
            .ToDictionary(e => Json.Str(e, "name") ?? "", e => Json.Str(e, "state") ?? "", StringComparer.Ordinal);
        var rows = new List<ClusterRow>(clusters.Count);
        foreach (var c in clusters)
        {
            var batch = batches.FindIndex(b => b.Contains(c));
            var progress = Json.At(status, "status", "currentBatchRemediationProgress", c);
            string policyCell;
            if (finished.TryGetValue(c, out var state))
            {
                policyCell = state;
            }
            else if (progress is not null)
            {
                var index = (int)(Json.Long(progress, "policyIndex") ?? 0);
                var name = index < managed.Count ? managed[index] : "";
                policyCell = $"{Json.Str(progress, "state")} {name}".Trim();
            }
            else
            {
                policyCell = "-";
            }
            rows.Add(new ClusterRow(
                c,
                Json.Str(status, "backup", "status", c) ?? "-",
                Json.Str(status, "precaching", "status", c) ?? "-",
                batch < 0 ? "-" : (batch + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                policyCell,
                compliance.GetValueOrDefault(c, "-")));
        }
        return new LabSnapshot(rows, ConditionsOf(cgu));
    }

    public static IReadOnlyList<CguCondition> ConditionsOf(JsonNode? cgu) =>
        Json.Items(Json.At(cgu, "status", "conditions"))
            .Select(c => new CguCondition(Json.Str(c, "type") ?? "", Json.Str(c, "status") ?? "", Json.Str(c, "reason") ?? "", Json.Str(c, "message") ?? ""))
            .ToList();
}
