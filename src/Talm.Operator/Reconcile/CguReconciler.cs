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
using Talm.Operator.UpdateService;

namespace Talm.Operator.Reconcile;

/// <summary>
/// One reconcile of one CGU: snapshot from the caches (plus what is read on demand), the engine's
/// decision, the intents applied, the status written through the status subresource when it changed,
/// then the events. A decision that ends in the reference's error is retried with back-off.
/// </summary>
public sealed class CguReconciler(
    IKubernetes client,
    HubCaches caches,
    CguEngine engine,
    EngineSettings settings,
    EventRecorder events,
    ControllerMetrics metrics,
    UpdateGraphClient graphs,
    TimeProvider time,
    ILogger log) : IReconciler
{
    private const int EventParallelism = 8;
    private const string OverridesConfigMap = "cluster-group-upgrade-overrides";

    private readonly IntentExecutor _executor = new(client, caches, log, unanswered: new UnansweredViews(caches.Views, time));

    private UnansweredViews Unanswered => _executor.Unanswered!;

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancel)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var cgu = caches.Cgus.Get(ns, name);
        if (cgu is null)
        {
            Unanswered.Forget(key);
            return ReconcileResult.Done; // deleted, and its finalizer already done
        }
        var typed = cgu.As<ClusterGroupUpgrade>(KubeJson.Options);
        // A clean-up (deletion) never depends on the values at fault, so it still runs.
        if (typed.Metadata.DeletionTimestamp is null && SpecLimits.Problems(cgu.Json) is { Count: > 0 } problems)
            return await ReportInvalidSpecAsync(cgu, typed, problems, cancel).ConfigureAwait(false);

        // Woken by one of RHACM's answers while others are still to come: wait for them where reading an
        // unanswered view would end a cluster (an enabled CGU's pre-caching); elsewhere it only waits a turn.
        if (typed.Metadata.DeletionTimestamp is null && PrecachingWhileEnabled(typed) && Unanswered.WaitFor(key) is { } wait)
            return ReconcileResult.After(wait);
        var extra = await ReadOnDemandAsync(typed, cancel).ConfigureAwait(false);
        var decision = engine.Decide(SnapshotBuilder.Build(caches, cgu, extra, settings), time.GetUtcNow());
        if (decision.NeedsUpdateGraphs.Count > 0)
        {
            // The engine stopped before doing anything: fetch what it needs and decide again.
            var fetched = await graphs.GetAsync(decision.NeedsUpdateGraphs, cancel).ConfigureAwait(false);
            var all = new Dictionary<string, UpdateGraph>(extra.UpdateGraphs, StringComparer.Ordinal);
            foreach (var (url, graph) in fetched) all[url] = graph;
            extra = extra with { UpdateGraphs = all };
            decision = engine.Decide(SnapshotBuilder.Build(caches, cgu, extra, settings), time.GetUtcNow());
            if (decision.NeedsUpdateGraphs.Count > 0)
                throw new InvalidOperationException($"the update graphs {string.Join(", ", decision.NeedsUpdateGraphs)} could not be read");
        }

        var current = await _executor.ApplyAllAsync(decision.Intents, cgu, cancel).ConfigureAwait(false);
        var deleting = typed.Metadata.DeletionTimestamp is not null;
        if (decision.StatusChanged && !deleting)
            current = await WriteStatusAsync(current, decision.Status, cancel).ConfigureAwait(false);

        var written = current.As<ClusterGroupUpgrade>(KubeJson.Options);
        var subject = new EventSubject(typed.ApiVersion, typed.Kind, ns, name, typed.Metadata.Uid, written.Metadata.ResourceVersion);
        await Parallel.ForEachAsync(decision.Events, new ParallelOptions { MaxDegreeOfParallelism = EventParallelism, CancellationToken = cancel },
            async (evt, ct) => await RecordAsync(subject, evt, ct).ConfigureAwait(false)).ConfigureAwait(false);

        if (decision.Error is { } error)
            throw new ReconcileFailedException(key, error);
        return decision.RequeueAfter is { } after ? ReconcileResult.After(after) : ReconcileResult.Done;
    }

    private static bool PrecachingWhileEnabled(ClusterGroupUpgrade cgu) =>
        cgu.Spec.IsPreCaching && cgu.Spec.IsEnabled &&
        Conditions.Find(cgu.Status?.Conditions, ConditionTypes.PrecachingSucceeded) is not { IsTrue: true };

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
        var current = cgu;
        if (Conditions.Set(status.Conditions, ConditionTypes.Validated, false, ConditionReasons.InvalidSpec, message, time.GetUtcNow()))
            current = await WriteStatusAsync(cgu, status, cancel).ConfigureAwait(false);
        if (before != message)
        {
            log.LogWarning("CGU {Cgu} not acted on: {Message}", cgu.Key, message);
            var subject = new EventSubject(typed.ApiVersion, typed.Kind, cgu.Namespace!, cgu.Name, typed.Metadata.Uid, current.ResourceVersion);
            var evt = new EngineEvent
            {
                Type = EngineEvent.Warning,
                Reason = "CguValidationFailure",
                Action = "RemediationOnHoldDueToValidationFailure",
                Note = $"ClusterGroupUpgrade {cgu.Name}: validation failure (invalid spec): {string.Join(", ", problems)}",
            };
            metrics.CguEvent(evt.Type, evt.Reason, evt.Action);
            await events.RecordAsync(subject, evt, cancel).ConfigureAwait(false);
        }
        return ReconcileResult.Done;
    }

    private async Task RecordAsync(EventSubject subject, EngineEvent evt, CancellationToken cancel)
    {
        using var scope = evt.RelatedCluster is null ? null : log.BeginScope(new LogScope("cluster", evt.RelatedCluster));
        if (evt.BackupCluster is not null && evt.BackupState is { } state)
        {
            metrics.BackupFinished(state);
            if (evt.BackupDetails is { } details)
                metrics.BackupFacts(details);
        }
        log.LogInformation("{Reason}: {Message}", evt.Reason, evt.Note);
        metrics.CguEvent(evt.Type, evt.Reason, evt.Action);
        await events.RecordAsync(subject, evt, cancel).ConfigureAwait(false);
    }

    private async Task<ReadOnDemand> ReadOnDemandAsync(ClusterGroupUpgrade cgu, CancellationToken cancel)
    {
        PreCachingConfig? config = null;
        IReadOnlyDictionary<string, string>? overrides = null;
        if (cgu.Spec.IsPreCaching)
        {
            if (cgu.Spec.PreCachingConfigRef is { Name: { Length: > 0 } refName } reference)
                config = await PreCachingConfigAsync(string.IsNullOrEmpty(reference.Namespace) ? cgu.Namespace : reference.Namespace, refName, cancel).ConfigureAwait(false);
            overrides = await OverridesAsync(cgu.Namespace, cancel).ConfigureAwait(false);
        }
        return new ReadOnDemand(config, overrides, graphs.Fresh());
    }

    private async Task<PreCachingConfig?> PreCachingConfigAsync(string ns, string name, CancellationToken cancel)
    {
        var kind = Kinds.PreCachingConfig;
        try
        {
            var found = await client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancel).ConfigureAwait(false);
            return ((JsonElement)found).Deserialize<PreCachingConfig>(KubeJson.Options);
        }
        catch (Exception e) when (KubeErrors.IsNotFound(e))
        {
            return null;
        }
    }

    /// <summary>The deprecated cluster-group-upgrade-overrides ConfigMap's data, when it exists.</summary>
    private async Task<IReadOnlyDictionary<string, string>?> OverridesAsync(string ns, CancellationToken cancel)
    {
        try
        {
            var map = await client.CoreV1.ReadNamespacedConfigMapAsync(OverridesConfigMap, ns, cancellationToken: cancel).ConfigureAwait(false);
            return map.Data is null ? new Dictionary<string, string>() : new Dictionary<string, string>(map.Data);
        }
        catch (Exception e) when (KubeErrors.IsNotFound(e))
        {
            return null;
        }
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
        static string? Annotation(KubeObject o, string name) =>
            o.Json.GetProperty("metadata").TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object &&
            a.TryGetProperty(name, out var v) ? v.GetString() : null;
        return Part(decided, "spec") == Part(fresh, "spec") && Part(decided, "status") == Part(fresh, "status") &&
               Meta(decided, "deletionTimestamp") == Meta(fresh, "deletionTimestamp") &&
               Meta(decided, "finalizers") == Meta(fresh, "finalizers") &&
               CguEngine.AnnotationsRead.All(a => Annotation(decided, a) == Annotation(fresh, a));
    }
}
