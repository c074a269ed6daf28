using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Operator.Kube;

namespace Talm.Operator.Reconcile;

/// <summary>Turns the caches into the engine's <see cref="HubSnapshot"/> for one CGU.</summary>
public static class SnapshotBuilder
{
    public static HubSnapshot Build(HubCaches caches, KubeObject cgu, PreCachingConfig? preCachingConfig, EngineSettings settings)
    {
        var o = KubeJson.Options;
        return new HubSnapshot
        {
            Cgu = cgu.As<ClusterGroupUpgrade>(o),
            ManagedClusters = [.. caches.ManagedClusters.All().Select(x => x.As<ManagedCluster>(o))],
            Policies = [.. caches.Policies.All().Select(x => x.As<Policy>(o))],
            Views = [.. caches.Views.All().Select(x => x.As<ManagedClusterView>(o))],
            Placements = [.. caches.Placements.All().Select(x => x.As<Placement>(o))],
            PlacementBindings = [.. caches.PlacementBindings.All().Select(x => x.As<PlacementBinding>(o))],
            OtherCgus = [.. caches.Cgus.All().Where(x => x.Key != cgu.Key).Select(x => x.As<ClusterGroupUpgrade>(o))],
            PreCachingConfig = preCachingConfig,
            Settings = settings,
        };
    }
}
