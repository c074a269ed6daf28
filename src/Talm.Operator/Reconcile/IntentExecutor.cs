using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Engine.Model;
using Talm.Operator.Kube;

namespace Talm.Operator.Reconcile;

/// <summary>
/// Applies the engine's intents to the API server, idempotently: a create that finds the object
/// tolerates AlreadyExists, a delete that finds nothing tolerates NotFound, an update replaces the
/// object at the version the cache holds (a 409 means the cache was stale: the reconcile is retried).
/// Every successful write is remembered in the cache so the next decision sees it. A create of an
/// object the cache holds and a delete of one it does not hold cost no request: the caches are
/// synced before any reconcile and every write of this process goes through them.
/// </summary>
public sealed class IntentExecutor(IKubernetes client, HubCaches caches, ILogger log, int parallelism = IntentExecutor.DefaultParallelism,
    UnansweredViews? unanswered = null)
{
    public const int DefaultParallelism = 16;

    /// <summary>Where the views this executor creates are recorded until RHACM answers them.</summary>
    public UnansweredViews? Unanswered => unanswered;

    /// <summary>
    /// Applies intents in their order where it matters: intents on one namespace (one cluster's
    /// objects, or the CGU's policies and placements) one after the other, different namespaces in
    /// parallel; an intent on the CGU or on a ManagedCluster waits for all before it and holds back
    /// all after it. Returns the CGU's latest version.
    /// </summary>
    public async Task<KubeObject> ApplyAllAsync(IReadOnlyList<Intent> intents, KubeObject cgu, CancellationToken cancel)
    {
        var current = cgu;
        var run = new List<Intent>();
        foreach (var intent in intents)
        {
            if (intent is ApplyIntent or DeleteIntent or DeleteCollectionIntent)
            {
                run.Add(intent);
                continue;
            }
            await ApplyInParallelAsync(run, current, cancel).ConfigureAwait(false);
            run.Clear();
            current = await ApplyAsync(intent, current, cancel).ConfigureAwait(false) ?? current;
        }
        await ApplyInParallelAsync(run, current, cancel).ConfigureAwait(false);
        return current;
    }

    private async Task ApplyInParallelAsync(List<Intent> run, KubeObject cgu, CancellationToken cancel)
    {
        if (run.Count == 0) return;
        var groups = run.GroupBy(NamespaceOf, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        if (groups.Count == 1 || parallelism <= 1)
        {
            foreach (var intent in run) await ApplyAsync(intent, cgu, cancel).ConfigureAwait(false);
            return;
        }
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancel },
            async (group, ct) =>
            {
                foreach (var intent in group) await ApplyAsync(intent, cgu, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    private static string NamespaceOf(Intent intent) => intent switch
    {
        ApplyIntent a => a.Namespace ?? "",
        DeleteIntent d => d.Namespace ?? "",
        DeleteCollectionIntent c => c.Namespace,
        _ => "",
    };

    /// <summary>Applies one intent; returns the CGU's new version when the intent changed the CGU itself.</summary>
    public async Task<KubeObject?> ApplyAsync(Intent intent, KubeObject cgu, CancellationToken cancel)
    {
        switch (intent)
        {
            case ApplyIntent apply:
                await ApplyObjectAsync(apply, cgu, cancel).ConfigureAwait(false);
                return null;
            case DeleteIntent delete:
                await DeleteAsync(delete.KindInfo, delete.Namespace, delete.Name, cancel).ConfigureAwait(false);
                return null;
            case DeleteCollectionIntent collection:
                await DeleteCollectionAsync(collection, cancel).ConfigureAwait(false);
                return null;
            case ClusterMetadataIntent metadata:
                await PatchClusterAsync(metadata, cancel).ConfigureAwait(false);
                return null;
            case FinalizerIntent finalizer:
                return await SetFinalizerAsync(cgu, finalizer, cancel).ConfigureAwait(false);
            default:
                throw new NotSupportedException($"intent {intent.GetType().Name} is not known to the operator");
        }
    }

    private async Task ApplyObjectAsync(ApplyIntent apply, KubeObject cgu, CancellationToken cancel)
    {
        var kind = apply.KindInfo ?? throw new NotSupportedException($"the engine asked for a {apply.Kind} ({apply.ApiVersion}), which the operator cannot address");
        var cache = caches.CacheFor(kind.Group, kind.Kind);
        var cached = cache?.Get(apply.Namespace, apply.Name);
        // Known to exist: a create has nothing to do (and a stale cache only delays it to the next event).
        if (apply.Mode == ApplyMode.Create && cached is not null) return;
        var body = apply.ToJson();
        if (apply.Mode == ApplyMode.Create || cached is null)
        {
            try
            {
                var created = await CreateAsync(kind, apply.Namespace, body, cancel).ConfigureAwait(false);
                cache?.Remember(created);
                if (kind == Kinds.ManagedClusterView) unanswered?.Created(cgu.Key, created);
                log.LogInformation("Created {Kind} {Namespace}/{Name}", kind.Kind, apply.Namespace, apply.Name);
                return;
            }
            catch (Exception e) when (KubeErrors.IsConflict(e))
            {
                if (apply.Mode == ApplyMode.Create) return; // exists already: that is what a create wants
                cached = await GetAsync(kind, apply.Namespace, apply.Name, cancel).ConfigureAwait(false);
                if (cached is null) throw;
            }
        }
        if (SameContent(cached.Json, body)) return;
        body["metadata"]!["resourceVersion"] = cached.ResourceVersion;
        var replaced = KubeObject.FromJson((JsonElement)(kind.Namespaced
            ? await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(body, kind.Group, kind.Version, apply.Namespace, kind.Plural, apply.Name, cancellationToken: cancel).ConfigureAwait(false)
            : await client.CustomObjects.ReplaceClusterCustomObjectAsync(body, kind.Group, kind.Version, kind.Plural, apply.Name, cancellationToken: cancel).ConfigureAwait(false)));
        cache?.Remember(replaced);
        log.LogInformation("Updated {Kind} {Namespace}/{Name}", kind.Kind, apply.Namespace, apply.Name);
    }

    private async Task<KubeObject> CreateAsync(KindInfo kind, string? ns, JsonObject body, CancellationToken cancel) =>
        KubeObject.FromJson((JsonElement)(kind.Namespaced
            ? await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, kind.Group, kind.Version, ns, kind.Plural, cancellationToken: cancel).ConfigureAwait(false)
            : await client.CustomObjects.CreateClusterCustomObjectAsync(body, kind.Group, kind.Version, kind.Plural, cancellationToken: cancel).ConfigureAwait(false)));

    private async Task<KubeObject?> GetAsync(KindInfo kind, string? ns, string name, CancellationToken cancel)
    {
        try
        {
            return KubeObject.FromJson((JsonElement)(kind.Namespaced
                ? await client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancel).ConfigureAwait(false)
                : await client.CustomObjects.GetClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, name, cancel).ConfigureAwait(false)));
        }
        catch (Exception e) when (KubeErrors.IsNotFound(e))
        {
            return null;
        }
    }

    private async Task DeleteAsync(KindInfo kind, string? ns, string name, CancellationToken cancel)
    {
        var cache = caches.CacheFor(kind.Group, kind.Kind);
        // Known to be absent: the reference deletes leftovers that were never there, one request each.
        if (cache is not null && cache.Get(ns, name) is null)
        {
            log.LogDebug("No {Kind} {Namespace}/{Name} to delete", kind.Kind, ns, name);
            return;
        }
        try
        {
            if (kind.Namespaced)
                await client.CustomObjects.DeleteNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: cancel).ConfigureAwait(false);
            else
                await client.CustomObjects.DeleteClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, name, cancellationToken: cancel).ConfigureAwait(false);
            log.LogInformation("Deleted {Kind} {Namespace}/{Name}", kind.Kind, ns, name);
        }
        catch (Exception e) when (KubeErrors.IsNotFound(e))
        {
            // Gone already: that is what a delete wants.
        }
        cache?.Forget(ns, name);
    }

    /// <summary>Every object of the kind in the namespace carrying the labels, as the reference's DeleteAllOf; found in the cache.</summary>
    private async Task DeleteCollectionAsync(DeleteCollectionIntent intent, CancellationToken cancel)
    {
        var kind = intent.KindInfo;
        var cache = caches.CacheFor(kind.Group, kind.Kind);
        if (cache is null)
        {
            var selector = string.Join(',', intent.Labels.Select(p => $"{p.Key}={p.Value}"));
            await client.CustomObjects.DeleteCollectionNamespacedCustomObjectAsync(kind.Group, kind.Version, intent.Namespace, kind.Plural,
                labelSelector: selector, cancellationToken: cancel).ConfigureAwait(false);
            return;
        }
        var matching = cache.All().Where(o => o.Namespace == intent.Namespace && intent.Labels.All(l => o.Label(l.Key) == l.Value)).ToList();
        foreach (var obj in matching)
            await DeleteAsync(kind, obj.Namespace, obj.Name, cancel).ConfigureAwait(false);
    }

    private async Task PatchClusterAsync(ClusterMetadataIntent intent, CancellationToken cancel)
    {
        var labels = new JsonObject();
        foreach (var (k, v) in intent.AddLabels) labels[k] = v;
        foreach (var k in intent.RemoveLabels) labels[k] = null;
        var annotations = new JsonObject();
        foreach (var (k, v) in intent.AddAnnotations) annotations[k] = v;
        foreach (var k in intent.RemoveAnnotations) annotations[k] = null;
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = labels, ["annotations"] = annotations } };
        var kind = Kinds.ManagedCluster;
        var patched = await client.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), kind.Group, kind.Version, kind.Plural, intent.Cluster,
            cancellationToken: cancel).ConfigureAwait(false);
        caches.ManagedClusters.Remember(KubeObject.FromJson((JsonElement)patched));
        log.LogInformation("Changed labels/annotations of ManagedCluster {Cluster}", intent.Cluster);
    }

    private async Task<KubeObject> SetFinalizerAsync(KubeObject cgu, FinalizerIntent intent, CancellationToken cancel)
    {
        var finalizers = new List<string>();
        if (cgu.Json.GetProperty("metadata").TryGetProperty("finalizers", out var existing) && existing.ValueKind == JsonValueKind.Array)
            finalizers.AddRange(existing.EnumerateArray().Select(f => f.GetString()!));
        var had = finalizers.Contains(intent.Finalizer);
        if (had == intent.Add) return cgu;
        if (intent.Add) finalizers.Add(intent.Finalizer);
        else finalizers.Remove(intent.Finalizer);
        // The resourceVersion makes the patch fail with 409 if someone changed the list meanwhile.
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = cgu.ResourceVersion,
                ["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)JsonValue.Create(f)!)]),
            },
        };
        var kind = Kinds.ClusterGroupUpgrade;
        var patched = KubeObject.FromJson((JsonElement)await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), kind.Group, kind.Version, cgu.Namespace, kind.Plural, cgu.Name,
            cancellationToken: cancel).ConfigureAwait(false));
        caches.Cgus.Remember(patched);
        log.LogInformation("{Action} finalizer {Finalizer} on {Cgu}", intent.Add ? "Added" : "Removed", intent.Finalizer, cgu.Key);
        return patched;
    }

    /// <summary>Whether the stored object already carries every field of the desired body (spec, labels, annotations).</summary>
    private static bool SameContent(JsonElement stored, JsonObject desired)
    {
        foreach (var (field, value) in desired)
        {
            if (field is "apiVersion" or "kind" or "status") continue;
            if (field == "metadata")
            {
                foreach (var meta in new[] { "labels", "annotations" })
                {
                    var want = value?[meta];
                    if (want is null) continue;
                    var have = stored.GetProperty("metadata").TryGetProperty(meta, out var h) ? JsonNode.Parse(h.GetRawText()) : null;
                    if (!JsonNode.DeepEquals(want, have)) return false;
                }
                continue;
            }
            var storedValue = stored.TryGetProperty(field, out var s) ? JsonNode.Parse(s.GetRawText()) : null;
            if (!JsonNode.DeepEquals(value, storedValue)) return false;
        }
        return true;
    }
}
