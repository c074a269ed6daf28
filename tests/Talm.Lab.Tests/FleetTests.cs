using Talm.Lab.Hub;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;

namespace Talm.Lab.Tests;

/// <summary>A fast-fidelity fleet: the same hub, operator and simulated RHACM, spokes as a timing model.</summary>
public sealed class FleetTests
{
    [Fact]
    public async Task A_thousand_fast_spokes_are_backed_up_and_upgraded_in_batches()
    {
        await using var lab = new LabHarness();
        var options = lab.Options(o => o with
        {
            Spokes = 1000,
            Fidelity = Fidelity.Fast,
            FailBackup = ["cnfdb2", "cnfdb500"],
            MaxConcurrency = 250,
            Timing = FastSpokeTiming.Instant with { Backup = TimeSpan.FromMilliseconds(200), Upgrade = TimeSpan.FromMilliseconds(200) },
        });
        var result = await lab.RunAsync(options);

        Assert.True(result.Finished, lab.Output.ToString());
        var outcomes = string.Join(", ", result.Clusters.GroupBy(c => c.Result).Select(g => $"{g.Count()} {g.Key}"));
        Assert.True(result.Clusters.Count(c => c.Result == "upgraded") == 998, outcomes);
        Assert.Equal(["cnfdb2", "cnfdb500"], result.Clusters.Where(c => c.Backup == "UnrecoverableError").Select(c => c.Name).ToArray());
        var batches = Json.Items(Json.At(result.Cgu, "status", "remediationPlan")).Select(b => Json.Strings(b).Count).ToList();
        Assert.Equal([250, 250, 250, 248], batches);
        Assert.Equal("Backup failed for 2 clusters", Json.Str(Json.Items(Json.At(result.Cgu, "status", "conditions")).Single(c => Json.Str(c, "type") == "BackupSuceeded"), "message"));
        Assert.All(result.Clusters.Where(c => c.Result == "upgraded"), c => Assert.Equal("Compliant", c.Compliance));
        // Fast spokes publish plausible facts as the agent does; the status keeps the first 500 clusters' details
        // (the CGU must stay one etcd object), the Events and metrics every one.
        var details = Json.At(result.Cgu, "status", "backup", "details") as System.Text.Json.Nodes.JsonObject;
        Assert.NotNull(details);
        Assert.Equal(Talm.Api.Cgu.BackupDetails.MaxClusters, details.Count);
        // The failed backups (when among the first 500 to finish) have only the Job's run time.
        Assert.All(details.Where(d => Json.At(d.Value, "bytes") is null), d => Assert.Contains(d.Key, new[] { "cnfdb2", "cnfdb500" }));
        Assert.All(details.Where(d => d.Key is not ("cnfdb2" or "cnfdb500")), d => Assert.True(Json.Long(d.Value, "bytes") == FastSpokeTiming.Instant.BackupSizeBytes && Json.Str(d.Value, "osVersion") == FastSpoke.OsVersion, d.Value?.ToJsonString()));
        Assert.True(result.Metrics.ViewToStatusSamples >= 990, $"{result.Metrics}");
        Assert.True(result.Metrics.ViewToStatusMaxSeconds < 10, $"view-to-status latency {result.Metrics.ViewToStatusMaxSeconds}s");
    }
}
