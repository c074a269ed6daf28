using k8s;
using Microsoft.Extensions.Logging;

namespace Talm.Operator.Kube;

/// <summary>One informer per watched kind; the snapshot for the engine is built from their caches.</summary>
public sealed class HubCaches
{
    private readonly Dictionary<ResourceKind, Informer> _informers;

    public HubCaches(IKubernetes client, ILoggerFactory logs, InformerOptions? options = null)
    {
        _informers = ResourceKind.Watched.ToDictionary(k => k,
            k => new Informer(client, k, logs.CreateLogger($"Talm.Operator.Informer.{k.Kind}"), options));
    }

    public IEnumerable<Informer> Informers => _informers.Values;
    public Informer this[ResourceKind kind] => _informers[kind];

    public ObjectCache Cgus => _informers[ResourceKind.ClusterGroupUpgrade].Cache;
    public ObjectCache ManagedClusters => _informers[ResourceKind.ManagedCluster].Cache;
    public ObjectCache Policies => _informers[ResourceKind.Policy].Cache;
    public ObjectCache Views => _informers[ResourceKind.ManagedClusterView].Cache;
    public ObjectCache Actions => _informers[ResourceKind.ManagedClusterAction].Cache;
    public ObjectCache Placements => _informers[ResourceKind.Placement].Cache;
    public ObjectCache PlacementBindings => _informers[ResourceKind.PlacementBinding].Cache;
    public ObjectCache ManifestWorks => _informers[ResourceKind.ManifestWork].Cache;
    public ObjectCache ManifestWorkTemplates => _informers[ResourceKind.ManifestWorkReplicaSet].Cache;

    public bool Synced => _informers.Values.All(i => i.HasSynced);

    public Task WhenSynced => Task.WhenAll(_informers.Values.Select(i => i.Synced));

    /// <summary>The cache of a kind the operator watches, by group and kind; null for others.</summary>
    public ObjectCache? CacheFor(string group, string kind) =>
        _informers.FirstOrDefault(p => p.Key.Group == group && p.Key.Kind == kind).Value?.Cache;

    public Task RunAsync(CancellationToken cancel) =>
        Task.WhenAll(_informers.Values.Select(i => Task.Run(() => i.RunAsync(cancel), CancellationToken.None)));
}
