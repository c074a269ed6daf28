using System.Diagnostics;
using Talm.Conformance.Kuttl;
using Talm.Conformance.Report;

namespace Talm.Conformance.Run;

/// <summary>Running the scenarios: each on a fresh hub, or all in order on one shared hub as kuttl does.</summary>
public sealed partial class ConformanceRun
{
    private async Task<List<ScenarioResult>> RunFreshAsync(Plan plan, CancellationToken ct)
    {
        var results = new List<ScenarioResult>();
        foreach (var test in plan.Tests)
        {
            var dir = Path.Combine(plan.RunDir, test.Name);
            Directory.CreateDirectory(dir);
            ScenarioResult result;
            await using (var log = OpenLog(Path.Combine(dir, "steps.log")))
            {
                result = await RunOnNewHubAsync(plan, test, dir, log, ct);
            }
            if (result.Passed && !options.KeepLogs) TryDelete(dir);
            Print(result);
            results.Add(result);
        }
        return results;
    }

    private async Task<ScenarioResult> RunOnNewHubAsync(Plan plan, TestCase test, string dir, TextWriter log, CancellationToken ct)
    {
        var background = new List<Process>();
        Hub? hub = null;
        try
        {
            try
            {
                hub = await Hub.StartAsync(plan.Hub, dir, ct);
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or HttpRequestException)
            {
                return Failed(test, "hub", $"the hub did not start: {e.Message}", TimeSpan.Zero, dir);
            }
            var commands = new CommandRunner(ChildEnvironment(plan, hub), log);
            log.WriteLine("=== suite commands");
            if (await commands.RunAllAsync(plan.Suite.Commands, options.ReferenceDir, "default", plan.Suite.Timeout, background, ct) is { } setupError)
                return Failed(test, "suite commands", setupError, TimeSpan.Zero, dir);
            var runner = new ScenarioRunner(hub.Kube, commands, plan.Steps, log, time);
            var outcome = await runner.RunAsync(test, () => hub.Problem, ct);
            return ToResult(test, outcome, dir);
        }
        finally
        {
            StopAll(background);
            if (hub is not null) await hub.DisposeAsync();
        }
    }

    private async Task<List<ScenarioResult>> RunSharedAsync(Plan plan, CancellationToken ct)
    {
        var results = new List<ScenarioResult>();
        var hubDir = Path.Combine(plan.RunDir, "shared-hub");
        var background = new List<Process>();
        Hub? hub = null;
        try
        {
            string? setupError;
            CommandRunner? commands = null;
            try
            {
                hub = await Hub.StartAsync(plan.Hub, hubDir, ct);
                await using var setupLog = OpenLog(Path.Combine(hubDir, "suite.log"));
                commands = new CommandRunner(ChildEnvironment(plan, hub), setupLog);
                setupError = await commands.RunAllAsync(plan.Suite.Commands, options.ReferenceDir, "default", plan.Suite.Timeout, background, ct);
                if (setupError is not null) setupError = $"the suite commands failed: {setupError}";
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or HttpRequestException)
            {
                setupError = $"the hub did not start: {e.Message}";
            }
            foreach (var test in plan.Tests)
            {
                ScenarioResult result;
                if (setupError is not null || hub is null)
                {
                    result = Failed(test, "suite setup", setupError ?? "no hub", TimeSpan.Zero, hubDir);
                }
                else
                {
                    var dir = Path.Combine(plan.RunDir, test.Name);
                    Directory.CreateDirectory(dir);
                    await using var log = OpenLog(Path.Combine(dir, "steps.log"));
                    var runner = new ScenarioRunner(hub.Kube, new CommandRunner(ChildEnvironment(plan, hub), log), plan.Steps, log, time);
                    var outcome = await runner.RunAsync(test, () => hub.Problem, ct);
                    result = ToResult(test, outcome, dir);
                    if (result.Passed && !options.KeepLogs)
                    {
                        await log.DisposeAsync();
                        TryDelete(dir);
                    }
                    else
                    {
                        result = result with { Logs = $"{dir} (hub: {hubDir})" };
                    }
                }
                Print(result);
                results.Add(result);
            }
        }
        finally
        {
            StopAll(background);
            if (hub is not null) await hub.DisposeAsync();
        }
        return results;
    }

    private static Dictionary<string, string> ChildEnvironment(Plan plan, Hub hub) =>
        new(plan.BaseEnvironment, StringComparer.Ordinal) { ["KUBECONFIG"] = hub.KubeconfigPath };
}
