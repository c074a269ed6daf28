using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Api.Work;
using Talm.Engine.Model;
using Talm.Engine.Preflight;

namespace Talm.Cli.Preflight;

/// <summary>Why a pre-flight could not run at all (no such CGU, no RHACM, no clusters...): one line for the user.</summary>
public sealed class PreflightException(string message) : Exception(message);

/// <summary>
/// What <c>kubectl talm preflight</c> reads from and writes to the hub, through the KubernetesClient: the CGU and
/// what resolving its clusters needs, the pre-flight's views and actions (all at once, by their label), and the
/// engine's intents (a create that finds the object, a delete that finds nothing, are not errors).
/// </summary>
public sealed class PreflightHub(IKubernetes client)
{
    private const int PageSize = 500;

    /// <summary>The CGU and what the engine needs to tell which clusters its backup would run on.</summary>
    public async Task<HubSnapshot> SnapshotAsync(string ns, string name, CancellationToken ct)
    {
        ClusterGroupUpgrade cgu;
        try
        {
            var raw = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Kinds.ClusterGroupUpgrade.Group, Kinds.ClusterGroupUpgrade.Version,
                ns, Kinds.ClusterGroupUpgrade.Plural, name, ct).ConfigureAwait(false);
            cgu = raw.Deserialize<ClusterGroupUpgrade>(KubeJson.Options)!;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // The object, or the kind itself? Listing it tells.
            await ListAsync<JsonElement>(Kinds.ClusterGroupUpgrade, ns, ct, limit: 1).ConfigureAwait(false);
            throw new PreflightException($"clustergroupupgrade {ns}/{name} not found");
        }
        var clusters = await ListAsync<ManagedCluster>(Kinds.ManagedCluster, null, ct).ConfigureAwait(false);
        var policies = await ListAsync<Policy>(Kinds.Policy, null, ct).ConfigureAwait(false);
        IReadOnlyList<ManifestWorkReplicaSet> templates = [];
        if (cgu.Spec.ManifestWorkTemplates is { Count: > 0 })
            templates = await ListAsync<ManifestWorkReplicaSet>(Kinds.ManifestWorkReplicaSet, ns, ct).ConfigureAwait(false);
        return new HubSnapshot { Cgu = cgu, ManagedClusters = clusters, Policies = policies, ManifestWorkReplicaSets = templates };
    }

    /// <summary>Every view and action of any pre-flight, by cluster namespace.</summary>
    public async Task<IReadOnlyDictionary<string, PreflightObserved>> ObserveAsync(CancellationToken ct)
    {
        var selector = PreflightFlow.Label;
        var views = await ListAsync<ManagedClusterView>(Kinds.ManagedClusterView, null, ct, selector).ConfigureAwait(false);
        var actions = await ListAsync<ManagedClusterAction>(Kinds.ManagedClusterAction, null, ct, selector).ConfigureAwait(false);
        var byCluster = new Dictionary<string, (Dictionary<string, ManagedClusterView> Views, Dictionary<string, ManagedClusterAction> Actions)>(StringComparer.Ordinal);
        (Dictionary<string, ManagedClusterView>, Dictionary<string, ManagedClusterAction>) Of(string ns)
        {
            if (!byCluster.TryGetValue(ns, out var entry))
                byCluster[ns] = entry = (new(StringComparer.Ordinal), new(StringComparer.Ordinal));
            return entry;
        }
        foreach (var v in views)
            Of(v.Metadata.Namespace ?? "").Item1[v.Metadata.Name ?? ""] = v;
        foreach (var a in actions)
            Of(a.Metadata.Namespace ?? "").Item2[a.Metadata.Name ?? ""] = a;
        return byCluster.ToDictionary(p => p.Key, p => new PreflightObserved(p.Value.Views, p.Value.Actions), StringComparer.Ordinal);
    }

    /// <summary>Applies intents: one cluster's in their order, clusters in parallel.</summary>
    public Task ApplyAsync(IEnumerable<Intent> intents, CancellationToken ct)
    {
        var groups = intents.GroupBy(i => i switch
        {
            ApplyIntent a => a.Namespace ?? "",
            DeleteIntent d => d.Namespace ?? "",
            _ => "",
        }, StringComparer.Ordinal).ToList();
        return Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (group, token) =>
        {
            foreach (var intent in group)
                await ApplyAsync(intent, token).ConfigureAwait(false);
        });
    }

    private async Task ApplyAsync(Intent intent, CancellationToken ct)
    {
        switch (intent)
        {
            case ApplyIntent { KindInfo: { } kind } apply:
                try
                {
                    await client.CustomObjects.CreateNamespacedCustomObjectAsync(apply.ToJson(), kind.Group, kind.Version, apply.Namespace, kind.Plural, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                }
                break;
            case DeleteIntent delete:
                try
                {
                    await client.CustomObjects.DeleteNamespacedCustomObjectAsync(delete.KindInfo.Group, delete.KindInfo.Version, delete.Namespace, delete.KindInfo.Plural, delete.Name,
                        cancellationToken: ct).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                }
                break;
            default:
                throw new InvalidOperationException($"the pre-flight does not make {intent.GetType().Name} changes");
        }
    }

    /// <summary>The operator's RECOVERY_IMG, from its Deployment (label app.kubernetes.io/name=talm-operator); null when there is none to read.</summary>
    public async Task<string?> OperatorRecoveryImageAsync(CancellationToken ct)
    {
        try
        {
            var deployments = await client.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: "app.kubernetes.io/name=talm-operator", cancellationToken: ct).ConfigureAwait(false);
            return deployments.Items
                .SelectMany(d => d.Spec?.Template?.Spec?.Containers ?? [])
                .SelectMany(c => c.Env ?? [])
                .FirstOrDefault(e => e.Name == "RECOVERY_IMG" && !string.IsNullOrEmpty(e.Value))?.Value;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<T>> ListAsync<T>(KindInfo kind, string? ns, CancellationToken ct, string? labelSelector = null, int? limit = null)
    {
        var items = new List<T>();
        string? next = null;
        try
        {
            do
            {
                var page = (JsonElement)(ns is not null
                    ? await client.CustomObjects.ListNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural,
                        continueParameter: next, labelSelector: labelSelector, limit: limit ?? PageSize, cancellationToken: ct).ConfigureAwait(false)
                    : kind.Namespaced
                        ? await client.CustomObjects.ListCustomObjectForAllNamespacesAsync(kind.Group, kind.Version, kind.Plural,
                            continueParameter: next, labelSelector: labelSelector, limit: limit ?? PageSize, cancellationToken: ct).ConfigureAwait(false)
                        : await client.CustomObjects.ListClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural,
                            continueParameter: next, labelSelector: labelSelector, limit: limit ?? PageSize, cancellationToken: ct).ConfigureAwait(false));
                var list = page.Deserialize<KubeList<T>>(KubeJson.Options)!;
                items.AddRange(list.Items);
                next = limit is null && list.Metadata?.Continue is { Length: > 0 } token ? token : null;
            }
            while (next is not null);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new PreflightException(kind == Kinds.ClusterGroupUpgrade
                ? $"this hub does not serve {kind.Plural}.{kind.Group}: install talm's CRDs (docs/install.md)"
                : $"this hub does not serve {kind.Plural}.{kind.Group} ({kind.ApiVersion}): is RHACM installed? The pre-flight runs through its ManagedClusterActions and ManagedClusterViews");
        }
        return items;
    }
}
