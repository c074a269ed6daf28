using k8s;
using Microsoft.Extensions.Logging;

namespace Talm.Operator.Kube;

/// <summary>One informer per watched kind; the snapshot for the engine is built from their caches.</summary>
public sealed class HubCaches
{
    private readonly Dictionary<WatchedKind, Informer> _informers;

    public HubCaches(IKubernetes client, ILoggerFactory logs, InformerOptions? options = null)
    {
        _informers = WatchedKind.Watched.ToDictionary(k => k,
            k => new Informer(client, k, logs.CreateLogger($"Talm.Operator.Informer.{k.Kind}"), options));
    }

    public IEnumerable<Informer> Informers => _informers.Values;
    public Informer this[WatchedKind kind] => _informers[kind];

    public ObjectCache Cgus => _informers[WatchedKind.ClusterGroupUpgrade].Cache;
    public ObjectCache ManagedClusters => _informers[WatchedKind.ManagedCluster].Cache;
    public ObjectCache Policies => _informers[WatchedKind.Policy].Cache;
    public ObjectCache Views => _informers[WatchedKind.ManagedClusterView].Cache;
    public ObjectCache Actions => _informers[WatchedKind.ManagedClusterAction].Cache;
    public ObjectCache Placements => _informers[WatchedKind.Placement].Cache;
    public ObjectCache PlacementBindings => _informers[WatchedKind.PlacementBinding].Cache;
    public ObjectCache ManifestWorks => _informers[WatchedKind.ManifestWork].Cache;
    public ObjectCache ManifestWorkTemplates => _informers[WatchedKind.ManifestWorkReplicaSet].Cache;

    public bool Synced => _informers.Values.All(i => i.HasSynced);

    public Task WhenSynced => Task.WhenAll(_informers.Values.Select(i => i.Synced));

    /// <summary>The cache of a kind the operator watches, by group and kind; null for others.</summary>
    public ObjectCache? CacheFor(string group, string kind) =>
        _informers.FirstOrDefault(p => p.Key.Group == group && p.Key.Kind == kind).Value?.Cache;

    public Task RunAsync(CancellationToken cancel) =>
        Task.WhenAll(_informers.Values.Select(i => Task.Run(() => i.RunAsync(cancel), CancellationToken.None)));
}
