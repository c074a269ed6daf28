using System.Diagnostics;
using System.Globalization;
using k8s.Autorest;
using Talm.Cli.Commands;
using Talm.Engine.Model;
using Talm.Engine.Preflight;

namespace Talm.Cli.Preflight;

/// <summary>What <c>kubectl talm preflight</c> was asked for.</summary>
public sealed record PreflightRequest
{
    public required string Namespace { get; init; }
    public required string Cgu { get; init; }

    /// <summary>The agent's image; null: RECOVERY_IMG, else the operator's Deployment.</summary>
    public string? Image { get; init; }

    /// <summary>How long to wait for every cluster's answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Leave the views, actions and Jobs in place.</summary>
    public bool Keep { get; init; }

    /// <summary>How often the hub is read while waiting: every 250 ms for the first 10 s (RHACM answers the first steps at once), then this.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the cleanup waits for RHACM to run its delete actions.</summary>
    public TimeSpan CleanupTimeout { get; init; } = DefaultCleanupTimeout;

    public static readonly TimeSpan DefaultCleanupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How often a line says what is still awaited.</summary>
    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>One cluster's line of the result.</summary>
public sealed record PreflightRow(string Cluster, PreflightOutcome Outcome);

/// <summary>What a pre-flight found, cluster by cluster, and what it left behind.</summary>
public sealed record PreflightSummary
{
    public required string Namespace { get; init; }
    public required string Cgu { get; init; }
    public required string Image { get; init; }
    public required BackupTargetsResult Targets { get; init; }
    public required IReadOnlyList<PreflightRow> Rows { get; init; }
    public bool BackupEnabled { get; init; }
    public TimeSpan Took { get; init; }

    /// <summary>Clusters whose cleanup RHACM has not run yet (the delete actions stay for when it can).</summary>
    public IReadOnlyList<string> CleanupPending { get; init; } = [];

    /// <summary>The objects were left in place (--keep).</summary>
    public bool Kept { get; init; }

    public bool Ok => Rows.All(r => r.Outcome.Passed);
}

/// <summary>
/// Runs the backup's pre-flight on the clusters a CGU would back up: resolves them as the operator would
/// (<see cref="BackupTargets"/>), drives each cluster's <see cref="PreflightFlow"/> by reading the hub and
/// applying its intents until every cluster answered or the time is up, then cleans up (unless kept).
/// </summary>
public sealed class PreflightRunner(PreflightHub hub, TimeProvider time, TextWriter progress)
{
    public async Task<PreflightSummary> RunAsync(PreflightRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = time.GetTimestamp();
        var snapshot = await hub.SnapshotAsync(request.Namespace, request.Cgu, ct).ConfigureAwait(false);
        var targets = BackupTargets.Resolve(snapshot, time.GetUtcNow());
        var cguRef = $"{request.Namespace}/{request.Cgu}";
        if (targets.Error is not null)
            throw new PreflightException($"clustergroupupgrade {cguRef}: {targets.Error}");
        if (targets.Clusters.Count == 0)
            throw new PreflightException($"clustergroupupgrade {cguRef}: no clusters to check: " + NoClustersReason(targets));
        var image = request.Image
            ?? (Environment.GetEnvironmentVariable("RECOVERY_IMG") is { Length: > 0 } env ? env : null)
            ?? await hub.OperatorRecoveryImageAsync(ct).ConfigureAwait(false)
            ?? throw new PreflightException("cannot tell the agent's image: give it with --image (the operator's RECOVERY_IMG), or set RECOVERY_IMG");
        // The views and actions must be served before anything is made.
        var seen = await hub.ObserveAsync(ct).ConfigureAwait(false);

        var flow = new PreflightFlow(image, RunId(), cguRef, targets.Clusters.Count);
        var clusters = snapshot.ManagedClusters.GroupBy(c => c.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var outcomes = new Dictionary<string, PreflightOutcome>(StringComparer.Ordinal);
        var stages = new Dictionary<string, PreflightStage>(StringComparer.Ordinal);
        foreach (var cluster in targets.Clusters)
        {
            if (PreflightFlow.Unavailable(clusters.GetValueOrDefault(cluster)) is { } why)
                outcomes[cluster] = new PreflightOutcome(PreflightResult.Unavailable, why);
            else
                stages[cluster] = PreflightStage.Clearing;
        }
        var touched = stages.Keys.ToList();

        var pending = new List<string>();
        var interrupted = false;
        try
        {
            await DriveAsync(flow, stages, outcomes, seen, request, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            interrupted = true;
            if (!request.Keep && touched.Count > 0)
                await progress.WriteLineAsync($"preflight: interrupted; removing what it made on the clusters (up to {KubectlDuration.Format(request.CleanupTimeout)})").ConfigureAwait(false);
        }
        finally
        {
            // Even when interrupted: what was made on the clusters goes (in its own time, not the caller's).
            if (!request.Keep && touched.Count > 0)
            {
                using var cleanup = new CancellationTokenSource(request.CleanupTimeout + TimeSpan.FromSeconds(15));
                pending = await CleanupAsync(flow, touched, request, cleanup.Token).ConfigureAwait(false);
            }
        }
        if (interrupted)
            throw new OperationCanceledException(ct);
        return new PreflightSummary
        {
            Namespace = request.Namespace,
            Cgu = request.Cgu,
            Image = image,
            Targets = targets,
            Rows = [.. targets.Clusters.Select(c => new PreflightRow(c, outcomes[c]))],
            BackupEnabled = snapshot.Cgu.Spec.IsBackup,
            Took = time.GetElapsedTime(started),
            CleanupPending = pending,
            Kept = request.Keep,
        };
    }

    private async Task DriveAsync(PreflightFlow flow, Dictionary<string, PreflightStage> stages, Dictionary<string, PreflightOutcome> outcomes,
        IReadOnlyDictionary<string, PreflightObserved> seen, PreflightRequest request, CancellationToken ct)
    {
        var start = time.GetTimestamp();
        var lastProgress = TimeSpan.Zero;
        var waiting = new Dictionary<string, string>(StringComparer.Ordinal);
        string? hubError = null;
        while (true)
        {
            var intents = new List<Intent>();
            foreach (var (cluster, stage) in stages.ToList())
            {
                if (outcomes.ContainsKey(cluster))
                    continue;
                var step = flow.Advance(cluster, stage, seen.GetValueOrDefault(cluster) ?? PreflightObserved.Nothing);
                intents.AddRange(step.Intents);
                stages[cluster] = step.Stage;
                if (step.Outcome is not null)
                    outcomes[cluster] = step.Outcome;
                else
                    waiting[cluster] = step.Waiting;
            }
            var elapsed = time.GetElapsedTime(start);
            var open = stages.Keys.Where(c => !outcomes.ContainsKey(c)).ToList();
            if (open.Count == 0)
                return;
            if (elapsed >= request.Timeout)
            {
                foreach (var cluster in open)
                {
                    outcomes[cluster] = new PreflightOutcome(PreflightResult.TimedOut,
                        $"no answer within {KubectlDuration.Format(request.Timeout)} (last: {waiting.GetValueOrDefault(cluster) ?? "nothing yet"}); is the cluster reachable from the hub?");
                }

                return;
            }
            if (elapsed - lastProgress >= request.ProgressEvery)
            {
                lastProgress = elapsed;
                await progress.WriteLineAsync(ProgressLine(stages.Count, open, waiting, elapsed, request.Timeout, hubError)).ConfigureAwait(false);
            }
            try
            {
                if (intents.Count > 0)
                    await hub.ApplyAsync(intents, ct).ConfigureAwait(false);
                await Task.Delay(Pause(request, elapsed), time, ct).ConfigureAwait(false);
                seen = await hub.ObserveAsync(ct).ConfigureAwait(false);
                hubError = null;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException && !ct.IsCancellationRequested)
            {
                // The hub did not answer this time: the next round reads it again, until the timeout.
                hubError = CommandGuard.OneLine(e.Message);
            }
        }
    }

    private async Task<List<string>> CleanupAsync(PreflightFlow flow, IReadOnlyList<string> clusters, PreflightRequest request, CancellationToken ct)
    {
        var start = time.GetTimestamp();
        var left = new HashSet<string>(clusters, StringComparer.Ordinal);
        try
        {
            var seen = await hub.ObserveAsync(ct).ConfigureAwait(false);
            await hub.ApplyAsync(clusters.SelectMany(c => flow.BeginCleanup(c, seen.GetValueOrDefault(c) ?? PreflightObserved.Nothing)), ct).ConfigureAwait(false);
            while (true)
            {
                await Task.Delay(Pause(request, time.GetElapsedTime(start)), time, ct).ConfigureAwait(false);
                seen = await hub.ObserveAsync(ct).ConfigureAwait(false);
                var intents = new List<Intent>();
                foreach (var cluster in left.ToList())
                {
                    var (todo, done) = PreflightFlow.AdvanceCleanup(cluster, seen.GetValueOrDefault(cluster) ?? PreflightObserved.Nothing);
                    intents.AddRange(todo);
                    if (done)
                        left.Remove(cluster);
                }
                if (intents.Count > 0)
                    await hub.ApplyAsync(intents, ct).ConfigureAwait(false);
                if (left.Count == 0 || time.GetElapsedTime(start) >= request.CleanupTimeout)
                    break;
            }
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            await progress.WriteLineAsync($"talm: preflight: the cleanup stopped early ({CommandGuard.OneLine(e.Message)}); the talm-preflight-* objects left in the clusters' namespaces go with the next pre-flight").ConfigureAwait(false);
        }
        return [.. clusters.Where(left.Contains)];
    }

    private static TimeSpan Pause(PreflightRequest request, TimeSpan elapsed) =>
        elapsed < TimeSpan.FromSeconds(10) && request.Poll > TimeSpan.FromMilliseconds(250) ? TimeSpan.FromMilliseconds(250) : request.Poll;

    private static string ProgressLine(int total, List<string> open, Dictionary<string, string> waiting, TimeSpan elapsed, TimeSpan timeout, string? hubError)
    {
        const int shown = 4;
        var list = string.Join(", ", open.Take(shown).Select(c => $"{c} ({waiting.GetValueOrDefault(c) ?? "starting"})"));
        if (open.Count > shown)
            list += string.Create(CultureInfo.InvariantCulture, $" and {open.Count - shown} more");
        var line = string.Create(CultureInfo.InvariantCulture,
            $"preflight: {total - open.Count}/{total} clusters answered after {KubectlDuration.Format(elapsed)} (timeout {KubectlDuration.Format(timeout)}); waiting for {list}");
        return hubError is null ? line : $"{line}; the hub's last answer: {hubError}";
    }

    private static string NoClustersReason(BackupTargetsResult targets)
    {
        if (targets.Selected.Count == 0)
            return "it selects none";
        var parts = new List<string>();
        if (targets.Compliant.Count > 0)
            parts.Add($"{targets.Compliant.Count} of its {targets.Selected.Count} clusters already comply with its policies (no upgrade, so no backup)");
        if (targets.PrecacheFailed.Count > 0)
            parts.Add($"{targets.PrecacheFailed.Count} are left out because their pre-caching failed");
        return parts.Count == 0 ? "none of its clusters needs an upgrade" : string.Join("; ", parts);
    }

    private static string RunId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
}
