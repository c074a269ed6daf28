using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine;
using Talm.Engine.Model;
using Talm.Operator.Events;
using Talm.Operator.Kube;
using Talm.Operator.Metrics;

namespace Talm.Operator.Reconcile;

/// <summary>
/// One reconcile of one CGU: snapshot from the caches, the engine's decision, the intents applied,
/// the status written through the status subresource when it changed, then the events.
/// </summary>
public sealed class CguReconciler(
    IKubernetes client,
    HubCaches caches,
    CguEngine engine,
    EngineSettings settings,
    EventRecorder events,
    ControllerMetrics metrics,
    TimeProvider time,
    ILogger log) : IReconciler
{
    private const int EventParallelism = 8;

    private readonly IntentExecutor _executor = new(client, caches, log);

    /// <summary>
    /// Two passes: the first starts no new spoke-side work, so what the spokes reported since the last
    /// look reaches the status without waiting for the writes that start other clusters; the second
    /// starts them. A first pass that changes nothing writes nothing.
    /// </summary>
    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancel)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var cgu = caches.Cgus.Get(ns, name);
        if (cgu is null) return ReconcileResult.Done; // deleted, and its finalizer already done
        var typed = cgu.As<ClusterGroupUpgrade>(KubeJson.Options);
        // A clean-up (deletion) never depends on the values at fault, so it still runs.
        if (typed.Metadata.DeletionTimestamp is null && SpecLimits.Problems(cgu.Json) is { Count: > 0 } problems)
            return await ReportInvalidSpecAsync(cgu, typed, problems, cancel).ConfigureAwait(false);
        // Read once for both passes: the first does not change the spec that names it.
        var preCachingConfig = await PreCachingConfigAsync(typed, cancel).ConfigureAwait(false);
        var reportFirst = settings with { ClusterStepsPerDecision = 0 };
        var first = await PassAsync(ns, name, preCachingConfig, reportFirst, cancel).ConfigureAwait(false);
        return first is null ? ReconcileResult.Done : await PassAsync(ns, name, preCachingConfig, settings, cancel).ConfigureAwait(false) ?? ReconcileResult.Done;
    }

    /// <summary>
    /// A spec with values the model cannot hold is not decided on: it gets <c>Validated</c> False with each
    /// field and its limit (and the reference's validation failure Event when that changes), and waits
    /// for its spec to change. Other CGUs read it tolerantly and are not held up by it.
    /// </summary>
    private async Task<ReconcileResult> ReportInvalidSpecAsync(KubeObject cgu, ClusterGroupUpgrade typed, IReadOnlyList<string> problems,
        CancellationToken cancel)
    {
        var status = (typed.Status ?? new ClusterGroupUpgradeStatus()).DeepCopy();
        status.Conditions ??= [];
        var message = "Invalid spec: " + string.Join("; ", problems);
        var before = Conditions.Find(status.Conditions, ConditionTypes.Validated)?.Message;
        if (Conditions.Set(status.Conditions, ConditionTypes.Validated, false, ConditionReasons.InvalidSpec, message, time.GetUtcNow()))
            await WriteStatusAsync(cgu, status, cancel).ConfigureAwait(false);
        if (before != message)
        {
            log.LogWarning("CGU {Cgu} not acted on: {Message}", cgu.Key, message);
            await events.RecordAsync(new EventSubject(typed.ApiVersion, typed.Kind, cgu.Namespace!, cgu.Name, typed.Metadata.Uid), EventRecorder.Warning,
                "CguValidationFailure", $"ClusterGroupUpgrade {cgu.Name}: validation failure (invalid spec): {string.Join(", ", problems)}", cancel)
                .ConfigureAwait(false);
        }
        return ReconcileResult.Done;
    }

    /// <summary>One decision applied; null when the CGU is gone.</summary>
    private async Task<ReconcileResult?> PassAsync(string ns, string name, PreCachingConfig? preCachingConfig, EngineSettings passSettings, CancellationToken cancel)
    {
        var key = $"{ns}/{name}";
        var cgu = caches.Cgus.Get(ns, name);
        if (cgu is null) return null; // deleted, and its finalizer already done

        var typed = cgu.As<ClusterGroupUpgrade>(KubeJson.Options);
        var snapshot = SnapshotBuilder.Build(caches, cgu, preCachingConfig, passSettings);
        var decision = engine.Decide(snapshot, time.GetUtcNow());

        // Read what the Jobs reported before the intents delete the views that show them.
        var durations = decision.Events
            .Where(e => e.Kind == EngineEventKind.BackupFinished && e.Cluster is not null)
            .Select(e => (e.Cluster!, BackupReport.Duration(caches.Views, e.Cluster!)))
            .Where(d => d.Item2 is not null)
            .ToDictionary(d => d.Item1, d => d.Item2!.Value, StringComparer.Ordinal);

        var current = await _executor.ApplyAllAsync(decision.Intents, cgu, cancel).ConfigureAwait(false);
        var addedFinalizer = decision.Intents.Any(i => i is FinalizerIntent { Add: true }) && !ReferenceEquals(current, cgu);

        var deleting = typed.Metadata.DeletionTimestamp is not null;
        if (decision.StatusChanged && !deleting)
            current = await WriteStatusAsync(current, decision.Status, cancel).ConfigureAwait(false);
        // The status does not depend on these; the engine asks again for any that do not get done.
        await _executor.ApplyAllAsync(decision.FollowUps, current, cancel).ConfigureAwait(false);

        var subject = new EventSubject(typed.ApiVersion, typed.Kind, ns, name, typed.Metadata.Uid);
        if (addedFinalizer)
            await events.RecordAsync(subject, EventRecorder.Normal, "CguCreated", $"ClusterGroupUpgrade {key} created", cancel).ConfigureAwait(false);
        // A fleet's backups finish by the hundred: their events are written side by side.
        await Parallel.ForEachAsync(decision.Events, new ParallelOptions { MaxDegreeOfParallelism = EventParallelism, CancellationToken = cancel },
            async (evt, ct) => await RecordAsync(subject, evt, durations, ct).ConfigureAwait(false)).ConfigureAwait(false);

        return decision.RequeueAfter is { } after ? ReconcileResult.After(after) : ReconcileResult.Done;
    }

    private async Task RecordAsync(EventSubject subject, EngineEvent evt, Dictionary<string, TimeSpan> durations, CancellationToken cancel)
    {
        var message = evt.Message;
        using var scope = evt.Cluster is null ? null : log.BeginScope(new LogScope("cluster", evt.Cluster));
        if (evt.Kind == EngineEventKind.BackupFinished && evt.Cluster is not null)
        {
            if (evt.Detail is not null) metrics.BackupFinished(evt.Detail);
            if (durations.TryGetValue(evt.Cluster, out var took))
            {
                metrics.BackupDuration(took);
                message += $" (the backup Job ran {took.TotalSeconds:0}s)";
            }
        }
        log.LogInformation("{Reason}: {Message}", evt.Reason, message);
        await events.RecordAsync(subject, evt.Warning ? EventRecorder.Warning : EventRecorder.Normal, evt.Reason, message, cancel)
            .ConfigureAwait(false);
    }

    private async Task<KubeObject> WriteStatusAsync(KubeObject cgu, ClusterGroupUpgradeStatus status, CancellationToken cancel)
    {
        var statusJson = JsonSerializer.SerializeToNode(status, KubeJson.Options);
        var kind = Kinds.ClusterGroupUpgrade;
        var target = cgu;
        for (var attempt = 1; ; attempt++)
        {
            var body = JsonNode.Parse(target.Json.GetRawText())!.AsObject();
            body["status"] = statusJson!.DeepClone();
            body["metadata"]!["resourceVersion"] = target.ResourceVersion;
            try
            {
                var written = await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(body, kind.Group, kind.Version,
                    cgu.Namespace, kind.Plural, cgu.Name, cancellationToken: cancel).ConfigureAwait(false);
                var stored = KubeObject.FromJson((JsonElement)written);
                caches.Cgus.Remember(stored);
                return stored;
            }
            catch (Exception e) when (KubeErrors.IsConflict(e))
            {
                metrics.StatusConflict();
                var fresh = KubeObject.FromJson((JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group,
                    kind.Version, cgu.Namespace, kind.Plural, cgu.Name, cancel).ConfigureAwait(false));
                caches.Cgus.Replace(fresh);
                // A change the engine does not read (labels, other annotations) does not invalidate the
                // decision: write it on the new version at once. Anything else: decide again.
                if (attempt >= 5 || !SameInputs(cgu, fresh)) throw new StatusConflictException(cgu.Key);
                log.LogDebug("CGU {Cgu} changed only in metadata the engine ignores; writing the status on version {ResourceVersion}",
                    cgu.Key, fresh.ResourceVersion);
                target = fresh;
            }
        }
    }

    /// <summary>Whether two versions of a CGU give the engine the same inputs.</summary>
    private static bool SameInputs(KubeObject decided, KubeObject fresh)
    {
        static string Part(KubeObject o, string name) => o.Json.TryGetProperty(name, out var v) ? v.GetRawText() : "";
        static string Meta(KubeObject o, string name) =>
            o.Json.GetProperty("metadata").TryGetProperty(name, out var v) ? v.GetRawText() : "";
        static string? Suffix(KubeObject o) =>
            o.Json.GetProperty("metadata").TryGetProperty("annotations", out var a) &&
            a.TryGetProperty(ClusterGroupUpgrade.NameSuffixAnnotation, out var s) ? s.GetString() : null;
        return Part(decided, "spec") == Part(fresh, "spec") && Part(decided, "status") == Part(fresh, "status") &&
               Meta(decided, "deletionTimestamp") == Meta(fresh, "deletionTimestamp") &&
               Meta(decided, "finalizers") == Meta(fresh, "finalizers") && Suffix(decided) == Suffix(fresh);
    }

    private async Task<PreCachingConfig?> PreCachingConfigAsync(ClusterGroupUpgrade cgu, CancellationToken cancel)
    {
        if (cgu.Spec.PreCachingConfigRef is not { Name: { Length: > 0 } refName } reference) return null;
        var kind = Kinds.PreCachingConfig;
        try
        {
            var found = await client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version,
                reference.Namespace ?? cgu.Namespace, kind.Plural, refName, cancel).ConfigureAwait(false);
            return ((JsonElement)found).Deserialize<PreCachingConfig>(KubeJson.Options);
        }
        catch (Exception e) when (KubeErrors.IsNotFound(e))
        {
            return null;
        }
    }
}
