using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Talm.Lab.Hub;
using Talm.Lab.Spokes;

namespace Talm.Lab.Tests;

public sealed class SpokeJobTests
{
    private static JsonObject BackupJob(long deadline) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "backup-agent", ["namespace"] = "openshift-talo-backup" },
        ["spec"] = new JsonObject
        {
            ["activeDeadlineSeconds"] = deadline,
            ["backoffLimit"] = 0,
            ["template"] = new JsonObject
            {
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["args"] = new JsonArray("launchBackup") }) },
            },
        },
    };

    private static readonly SpokeObjectKey JobKey = SpokeObjectKey.Of("jobs", "openshift-talo-backup", "backup-agent");

    private static async Task<JsonNode?> WaitForJobEnd(SimulatedSpoke spoke)
    {
        for (var i = 0; i < 500; i++)
        {
            var job = spoke.Get(JobKey);
            if (job?["status"]?["active"] is null && job?["status"] is not null) return job;
            await Task.Delay(10);
        }
        throw new TimeoutException("the job never finished");
    }

    private static FastSpoke Spoke(SpokeFaults faults, FastSpokeTiming timing, TimeProvider time)
    {
        var spoke = new FastSpoke("cnfdb1", faults, timing, time);
        spoke.Create("namespace", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "openshift-talo-backup" } });
        return spoke;
    }

    [Fact]
    public async Task A_failing_backup_with_backoffLimit_0_ends_in_BackoffLimitExceeded()
    {
        await using var spoke = Spoke(new SpokeFaults(FailBackup: true), FastSpokeTiming.Instant, TimeProvider.System);
        spoke.Create("job", "openshift-talo-backup", BackupJob(480));
        var job = await WaitForJobEnd(spoke);
        var condition = Json.Items(Json.At(job, "status", "conditions")).Single();
        Assert.Equal("Failed", Json.Str(condition, "type"));
        Assert.Equal("BackoffLimitExceeded", Json.Str(condition, "reason"));
        Assert.Equal(1, Json.Long(job, "status", "failed"));
        Assert.Equal(1, spoke.LastBackup!.ExitCode);
    }

    [Fact]
    public async Task A_backup_longer_than_its_deadline_ends_in_DeadlineExceeded()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var timing = FastSpokeTiming.Instant with { SlowBackup = TimeSpan.FromMinutes(20) };
        await using var spoke = Spoke(new SpokeFaults(SlowBackup: true), timing, time);
        spoke.Create("job", "openshift-talo-backup", BackupJob(480));
        await Task.Delay(50);
        Assert.Equal(1, Json.Long(spoke.Get(JobKey), "status", "active"));
        time.Advance(TimeSpan.FromSeconds(481));
        var job = await WaitForJobEnd(spoke);
        var condition = Json.Items(Json.At(job, "status", "conditions")).Single();
        Assert.Equal("DeadlineExceeded", Json.Str(condition, "reason"));
    }

    [Fact]
    public async Task A_good_backup_succeeds_and_deleting_the_namespace_takes_the_job_with_it()
    {
        await using var spoke = Spoke(SpokeFaults.None, FastSpokeTiming.Instant, TimeProvider.System);
        var changes = new List<SpokeObjectKey>();
        spoke.ObjectChanged += (_, k) => { lock (changes) changes.Add(k); };
        spoke.Create("job", "openshift-talo-backup", BackupJob(480));
        var job = await WaitForJobEnd(spoke);
        Assert.Equal(1, Json.Long(job, "status", "succeeded"));
        Assert.True(spoke.Delete("namespaces", null, "openshift-talo-backup"));
        Assert.Null(spoke.Get(JobKey));
        Assert.False(spoke.Delete("namespace", null, "openshift-talo-backup"));
        lock (changes) Assert.Contains(JobKey, changes);
    }

    [Fact]
    public void Objects_in_a_missing_namespace_are_refused()
    {
        var spoke = new FastSpoke("cnfdb1", SpokeFaults.None, FastSpokeTiming.Instant, TimeProvider.System);
        var e = Assert.Throws<InvalidOperationException>(() =>
            spoke.Create("serviceaccount", "nowhere", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "sa" } }));
        Assert.Contains("not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enforcing_a_policy_upgrades_unless_the_upgrade_is_made_to_fail()
    {
        await using var good = new FastSpoke("a", SpokeFaults.None, FastSpokeTiming.Instant, TimeProvider.System);
        await using var bad = new FastSpoke("b", new SpokeFaults(FailUpgrade: true), FastSpokeTiming.Instant, TimeProvider.System);
        good.Enforce("ns.p");
        bad.Enforce("ns.p");
        for (var i = 0; i < 200 && (good.UpgradeState("ns.p") == SpokeUpgradeState.Upgrading || bad.UpgradeState("ns.p") == SpokeUpgradeState.Upgrading); i++)
            await Task.Delay(10);
        Assert.True(good.IsCompliant("ns.p"));
        Assert.False(bad.IsCompliant("ns.p"));
        Assert.Equal(SpokeUpgradeState.Broken, bad.UpgradeState("ns.p"));
    }
}
