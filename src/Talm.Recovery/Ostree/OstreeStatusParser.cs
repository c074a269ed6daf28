using System.Globalization;
using System.Text.RegularExpressions;

namespace Talm.Recovery.Ostree;

/// <summary>Reads the text of <c>ostree admin status</c> into deployments, in order.</summary>
public static partial class OstreeStatusParser
{
    [GeneratedRegex(@"^(?<mark>[* ]) (?<os>\S+) (?<csum>[0-9a-f]{64})\.(?<serial>\d+)(?<tags>( \([^)]*\))*)\s*$")]
    private static partial Regex DeploymentLine();

    [GeneratedRegex(@"^\s{3,}(?<key>[^:]+):\s*(?<value>.*)$")]
    private static partial Regex DetailLine();

    public static IReadOnlyList<OstreeDeployment> Parse(string text)
    {
        var deployments = new List<OstreeDeployment>();
        OstreeDeployment? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var deployment = DeploymentLine().Match(line);
            if (deployment.Success)
            {
                if (current is not null)
                {
                    deployments.Add(current);
                }

                var tags = deployment.Groups["tags"].Value;
                current = new OstreeDeployment
                {
                    Index = deployments.Count,
                    OsName = deployment.Groups["os"].Value,
                    Checksum = deployment.Groups["csum"].Value,
                    Serial = int.Parse(deployment.Groups["serial"].Value, CultureInfo.InvariantCulture),
                    Booted = deployment.Groups["mark"].Value == "*",
                    Pending = tags.Contains("(pending)", StringComparison.Ordinal),
                    Rollback = tags.Contains("(rollback)", StringComparison.Ordinal),
                    Staged = tags.Contains("(staged)", StringComparison.Ordinal),
                };
                continue;
            }

            var detail = DetailLine().Match(line);
            if (current is null || !detail.Success)
            {
                continue;
            }

            var key = detail.Groups["key"].Value.Trim();
            var value = detail.Groups["value"].Value.Trim();
            current = key switch
            {
                "Version" => current with { Version = value },
                "Pinned" => current with { Pinned = value == "yes" },
                "origin refspec" => current with { Origin = value },
                _ => current,
            };
        }

        if (current is not null)
        {
            deployments.Add(current);
        }

        return deployments;
    }
}
