using Talm.Lab.Hub;
using Talm.Lab.Run;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;
using Talm.Operator.Kube;

namespace Talm.Lab.Tests;

/// <summary>The operator in its own process (talm operator) against the lab, next to the in-process one.</summary>
public sealed class OperatorProcessTests
{
    private static LabOptions Small(LabHarness lab) => lab.Options(o => o with
    {
        Spokes = 20,
        Fidelity = Fidelity.Fast,
        FailBackup = ["cnfdb2"],
        MaxConcurrency = 10,
        Timing = FastSpokeTiming.Instant with { Backup = TimeSpan.FromMilliseconds(100), Upgrade = TimeSpan.FromMilliseconds(100) },
    });

    [Fact]
    public async Task The_operator_as_a_process_ends_a_small_fleet_as_the_in_process_one_and_the_server_counts_what_the_client_sent()
    {
        LabResult inproc;
        await using (var lab = new LabHarness())
        {
            inproc = await lab.RunAsync(Small(lab), async (runner, _) =>
            {
                // In-process, the operator's own client counts what it sends; the server must have counted exactly that under its User-Agent.
                var client = runner.Operator!.ClientCounter!;
                await Eventually.Get(() =>
                {
                    var server = ClientRequestCounts.Of(runner.Requests!, OperatorUserAgent.Product + "/");
                    var same = server.Writes == client.Writes && server.Deletes == client.Deletes && server.Reads == client.Reads
                        && server.WritesByResource.OrderBy(e => e.Key).SequenceEqual(client.WritesByResource.OrderBy(e => e.Key));
                    return Task.FromResult(same ? server : null);
                }, "the server's counts for talm-operator/* to equal the in-process client's", seconds: 10);
            });
        }
        Assert.Equal("inproc", inproc.Metrics.OperatorMode);

        LabResult process;
        int pid = 0;
        string? log = null;
        await using (var lab = new LabHarness(LabHarness.OperatorProcess))
        {
            process = await lab.RunAsync(Small(lab), (runner, _) =>
            {
                pid = runner.Operator!.ProcessId!.Value;
                log = runner.Operator.LogPath;
                Assert.Null(runner.Operator.ClientCounter);
                Assert.Contains("\0operator\0--kubeconfig\0", File.ReadAllText($"/proc/{pid}/cmdline"), StringComparison.Ordinal);
                Assert.True(File.Exists(Path.Combine(lab.Dir, OperatorProcess.PidFileName)));
                return Task.CompletedTask;
            });
            Assert.False(Directory.Exists($"/proc/{pid}") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("\0operator\0", StringComparison.Ordinal),
                "the operator process is still running after the lab ended");
            Assert.False(File.Exists(Path.Combine(lab.Dir, OperatorProcess.PidFileName)));
            Assert.Contains("Reconciling ClusterGroupUpgrades", await File.ReadAllTextAsync(log!), StringComparison.Ordinal);
        }
        Assert.Equal("process", process.Metrics.OperatorMode);

        // The same story to the end: per-cluster outcomes, batches and the CGU's final conditions.
        Assert.True(inproc.Finished);
        Assert.True(process.Finished);
        Assert.Equal(Outcomes(inproc), Outcomes(process));
        Assert.Equal(19, process.Clusters.Count(c => c.Result == "upgraded"));
        Assert.Equal(Plan(inproc), Plan(process));
        Assert.Equal(Conditions(inproc), Conditions(process));

        // Counted by the server in both modes, so both report the operator's backup-phase writes.
        foreach (var r in new[] { inproc, process })
        {
            Assert.True(r.Metrics.OperatorWritesByResource.GetValueOrDefault("managedclusteractions") >= 20, $"{r.Metrics.OperatorMode}: {string.Join(", ", r.Metrics.OperatorWritesByResource)}");
            Assert.True(r.Metrics.OperatorWritesByResource.GetValueOrDefault("managedclusterviews") >= 20, $"{r.Metrics.OperatorMode}: {string.Join(", ", r.Metrics.OperatorWritesByResource)}");
            Assert.True(r.Metrics.OperatorDeletes > 0 && r.Metrics.OperatorReads > 0);
        }
    }

    [Fact]
    public async Task An_operator_process_that_exits_fails_the_run_with_its_exit_code_and_log()
    {
        // talm operator refuses an unknown --log-level at once: the lab must say so instead of waiting for the CGU.
        var broken = LabHarness.OperatorProcess with { LogLevel = "not-a-level" };
        await using var lab = new LabHarness(broken);
        var options = Small(lab) with { Spokes = 2, FailBackup = [] };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => lab.RunAsync(options));
        Assert.IsType<OperatorStoppedException>(e.InnerException);
        // A command line the parser refuses ends with 2 (docs/hub.md, exit codes).
        foreach (var part in new[] { "exited with code 2", "--log-level", OperatorProcess.LogFileName })
            Assert.True(e.Message.Contains(part, StringComparison.Ordinal), $"'{part}' is not in: {e.Message}");
    }

    private static string[] Outcomes(LabResult r) => [.. r.Clusters.Select(c => $"{c.Name} {c.Backup} {c.Precache} {c.Result} {c.Compliance}")];

    private static string[] Plan(LabResult r) =>
        [.. Json.Items(Json.At(r.Cgu, "status", "remediationPlan")).Select(b => string.Join(',', Json.Strings(b)))];

    private static string[] Conditions(LabResult r) =>
        [.. Json.Items(Json.At(r.Cgu, "status", "conditions"))
            .Select(c => $"{Json.Str(c, "type")}={Json.Str(c, "status")} {Json.Str(c, "reason")}: {Json.Str(c, "message")}").Order(StringComparer.Ordinal)];
}
