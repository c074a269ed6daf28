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
    private readonly IntentExecutor _executor = new(client, caches, log);

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancel)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var cgu = caches.Cgus.Get(ns, name);
        if (cgu is null) return ReconcileResult.Done; // deleted, and its finalizer already done

        var typed = cgu.As<ClusterGroupUpgrade>(KubeJson.Options);
        var preCachingConfig = await PreCachingConfigAsync(typed, cancel).ConfigureAwait(false);
        var snapshot = SnapshotBuilder.Build(caches, cgu, preCachingConfig, settings);
        var decision = engine.Decide(snapshot, time.GetUtcNow());

        var current = cgu;
        var addedFinalizer = false;
        foreach (var intent in decision.Intents)
        {
            var changed = await _executor.ApplyAsync(intent, current, cancel).ConfigureAwait(false);
            if (changed is not null)
            {
                addedFinalizer |= intent is FinalizerIntent { Add: true } && !ReferenceEquals(changed, current);
                current = changed;
            }
        }

        var deleting = typed.Metadata.DeletionTimestamp is not null;
        if (decision.StatusChanged && !deleting)
            await WriteStatusAsync(current, decision.Status, cancel).ConfigureAwait(false);

        var subject = new EventSubject(typed.ApiVersion, typed.Kind, ns, name, typed.Metadata.Uid);
        if (addedFinalizer)
            await events.RecordAsync(subject, EventRecorder.Normal, "CguCreated", $"ClusterGroupUpgrade {key} created", cancel).ConfigureAwait(false);
        foreach (var evt in decision.Events)
            await RecordAsync(subject, evt, cancel).ConfigureAwait(false);

        return decision.RequeueAfter is { } after ? ReconcileResult.After(after) : ReconcileResult.Done;
    }

    private async Task RecordAsync(EventSubject subject, EngineEvent evt, CancellationToken cancel)
    {
        var message = evt.Message;
        using var scope = evt.Cluster is null ? null : log.BeginScope(new Dictionary<string, object> { ["cluster"] = evt.Cluster });
        if (evt.Kind == EngineEventKind.BackupFinished && evt.Cluster is not null)
        {
            if (evt.Detail is not null) metrics.BackupFinished(evt.Detail);
            if (BackupReport.Duration(caches.Views, evt.Cluster) is { } took)
            {
                metrics.BackupDuration(took);
                message += $" (the backup Job ran {took.TotalSeconds:0}s)";
            }
        }
        log.LogInformation("{Reason}: {Message}", evt.Reason, message);
        await events.RecordAsync(subject, evt.Warning ? EventRecorder.Warning : EventRecorder.Normal, evt.Reason, message, cancel)
            .ConfigureAwait(false);
    }

    private async Task WriteStatusAsync(KubeObject cgu, ClusterGroupUpgradeStatus status, CancellationToken cancel)
    {
        var body = JsonNode.Parse(cgu.Json.GetRawText())!.AsObject();
        body["status"] = JsonSerializer.SerializeToNode(status, KubeJson.Options);
        body["metadata"]!["resourceVersion"] = cgu.ResourceVersion;
        var kind = Kinds.ClusterGroupUpgrade;
        try
        {
            var written = await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(body, kind.Group, kind.Version,
                cgu.Namespace, kind.Plural, cgu.Name, cancellationToken: cancel).ConfigureAwait(false);
            caches.Cgus.Remember(KubeObject.FromJson((JsonElement)written));
        }
        catch (Exception e) when (KubeErrors.IsConflict(e))
        {
            metrics.StatusConflict();
            throw new StatusConflictException(cgu.Key);
        }
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
