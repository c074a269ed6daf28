using Talm.Conformance.Kube;
using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Run;

/// <summary>How steps run: kuttl's values from the suite, and the runner's own pacing.</summary>
public sealed record StepSettings
{
    public required string Namespace { get; init; }

    /// <summary>Seconds a command may take (the suite's timeout, as in kuttl).</summary>
    public required int CommandTimeout { get; init; }

    /// <summary>How long the asserts and errors of a step have to hold (the suite's timeout unless shortened).</summary>
    public required TimeSpan StepTimeout { get; init; }

    /// <summary>Pause between two checks of a step; kuttl's is one second.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The suite's skipDelete: keep what the steps created when the test ends.</summary>
    public bool SkipDelete { get; init; }
}

/// <summary>How one test went: passed, or the first step that failed and its first difference (all of them in <see cref="Differences"/>).</summary>
public sealed record TestOutcome(bool Passed, TimeSpan Duration, string? FailingStep, string? Difference, IReadOnlyList<string> Differences);

/// <summary>
/// Runs one kuttl test against a hub, step by step as kuttl does: the step's commands, then its objects
/// applied, then its asserts and errors checked again and again until they all hold at once or the step's
/// time is up. The first failing step ends the test. Objects the steps created are deleted at the end.
/// </summary>
public sealed class ScenarioRunner(KubeClient kube, CommandRunner commands, StepSettings settings, TextWriter log, TimeProvider time)
{
    private readonly ObjectChecks _checks = new(kube, settings.Namespace);

    /// <param name="hubProblem">Checked while waiting: a message when the hub can no longer answer (its operator died).</param>
    public async Task<TestOutcome> RunAsync(TestCase test, Func<string?> hubProblem, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(hubProblem);
        var start = time.GetTimestamp();
        var created = new List<CreatedObject>();
        try
        {
            foreach (var step in test.Steps)
            {
                log.WriteLine($"=== {test.Name}: step {step.Label}{(step.Overrides.Count > 0 ? $" (override: {string.Join(", ", step.Overrides)})" : string.Empty)}");
                var differences = await RunStepAsync(test, step, created, hubProblem, ct);
                if (differences.Count == 0)
                {
                    log.WriteLine($"--- step {step.Label} passed");
                    continue;
                }
                log.WriteLine($"--- step {step.Label} failed:");
                foreach (var d in differences) log.WriteLine("    " + d);
                await WriteActualAsync(step, ct);
                return new TestOutcome(false, time.GetElapsedTime(start), step.Label, differences[0], differences);
            }
            return new TestOutcome(true, time.GetElapsedTime(start), null, null, []);
        }
        finally
        {
            if (!settings.SkipDelete) await DeleteCreatedAsync(created);
        }
    }

    private async Task<IReadOnlyList<string>> RunStepAsync(TestCase test, TestStep step, List<CreatedObject> created, Func<string?> hubProblem, CancellationToken ct)
    {
        var errors = new List<string>();
        if (await commands.RunAllAsync(step.Commands, test.Dir, settings.Namespace, settings.CommandTimeout, background: null, ct) is { } failed)
            errors.Add(failed);
        foreach (var obj in step.Apply)
        {
            try
            {
                if (await _checks.ApplyAsync(obj, ct) is { } c) created.Add(c);
            }
            catch (Exception e) when (e is KubeApiException or InvalidDataException or HttpRequestException)
            {
                errors.Add($"applying {KuttlJson.Kind(obj)} {(string?)obj["metadata"]?["name"]}: {e.Message}");
            }
        }
        if (errors.Count > 0) return errors;
        if (step.Asserts.Count == 0 && step.Errors.Count == 0) return [];

        var begin = time.GetTimestamp();
        while (true)
        {
            var differences = await CheckAsync(step, ct);
            if (differences.Count == 0) return [];
            if (hubProblem() is { } problem) return [problem, .. differences];
            // kuttl's loop: check, sleep, and stop once the step's time has passed.
            await Task.Delay(settings.PollInterval, time, ct);
            if (time.GetElapsedTime(begin) >= settings.StepTimeout) return differences;
        }
    }

    private async Task<IReadOnlyList<string>> CheckAsync(TestStep step, CancellationToken ct)
    {
        var differences = new List<string>();
        foreach (var expected in step.Asserts)
            await Collect(() => _checks.AssertAsync(expected, ct));
        foreach (var unexpected in step.Errors)
            await Collect(() => _checks.AbsentAsync(unexpected, ct));
        return differences;

        async Task Collect(Func<Task<string?>> check)
        {
            try
            {
                if (await check() is { } d) differences.Add(d);
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException)
            {
                differences.Add(e.Message);
            }
        }
    }

    /// <summary>For whoever reads the log: the objects the failed step's asserts and errors name, as the hub has them.</summary>
    private async Task WriteActualAsync(TestStep step, CancellationToken ct)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var expected in step.Asserts.Concat(step.Errors))
        {
            try
            {
                foreach (var actual in await _checks.FindAsync(expected, ct))
                {
                    var key = $"{KuttlJson.Kind(actual)} {(string?)actual["metadata"]?["namespace"]}/{(string?)actual["metadata"]?["name"]}";
                    if (!seen.Add(key)) continue;
                    actual["metadata"]?.AsObject().Remove("managedFields");
                    log.WriteLine($"--- as the hub has {key}:");
                    log.WriteLine(actual.ToJsonString(Pretty));
                }
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or InvalidDataException)
            {
                log.WriteLine($"--- cannot read {KuttlJson.Kind(expected)} {(string?)expected["metadata"]?["name"]}: {e.Message}");
            }
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private async Task DeleteCreatedAsync(List<CreatedObject> created)
    {
        for (var i = created.Count - 1; i >= 0; i--)
        {
            var c = created[i];
            try
            {
                await kube.DeleteAsync(c.Resource, c.Namespace, c.Name, CancellationToken.None);
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException)
            {
                log.WriteLine($"cleanup: deleting {c.Resource.Kind} {c.Namespace}/{c.Name}: {e.Message}");
            }
        }
    }
}
