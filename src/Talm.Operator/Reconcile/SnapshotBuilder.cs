using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Rhacm;
using Talm.Api.Work;
using Talm.Engine.Model;
using Talm.Operator.Kube;

namespace Talm.Operator.Reconcile;

/// <summary>What the operator reads on demand for one reconcile, beside its caches.</summary>
public sealed record ReadOnDemand(
    PreCachingConfig? PreCachingConfig,
    IReadOnlyDictionary<string, string>? Overrides,
    IReadOnlyDictionary<string, UpdateGraph> UpdateGraphs)
{
    public static ReadOnDemand None { get; } = new(null, null, new Dictionary<string, UpdateGraph>());
}

/// <summary>Turns the caches into the engine's <see cref="HubSnapshot"/> for one CGU.</summary>
public static class SnapshotBuilder
{
    public static HubSnapshot Build(HubCaches caches, KubeObject cgu, ReadOnDemand extra, EngineSettings settings)
    {
        var o = KubeJson.Options;
        var typed = cgu.As<ClusterGroupUpgrade>(o);
        return new HubSnapshot
        {
            Cgu = typed,
            ManagedClusters = [.. caches.ManagedClusters.All().Select(x => x.As<ManagedCluster>(o))],
            Policies = [.. caches.Policies.All().Select(x => x.As<Policy>(o))],
            Views = [.. caches.Views.All().Select(x => x.As<ManagedClusterView>(o))],
            Actions = [.. caches.Actions.All().Select(x => x.As<ManagedClusterAction>(o))],
            Placements = [.. caches.Placements.All().Select(x => x.As<Placement>(o))],
            PlacementBindings = [.. caches.PlacementBindings.All().Select(x => x.As<PlacementBinding>(o))],
            ManifestWorks = [.. caches.ManifestWorks.All().Select(x => x.As<ManifestWork>(o))],
            ManifestWorkReplicaSets = [.. caches.ManifestWorkTemplates.All().Where(x => x.Namespace == typed.Namespace).Select(x => x.As<ManifestWorkReplicaSet>(o))],
            OtherCgus = [.. caches.Cgus.All().Where(x => x.Key != cgu.Key).Select(x => x.As<ClusterGroupUpgrade>(o))],
            PreCachingConfig = extra.PreCachingConfig,
            Overrides = extra.Overrides,
            UpdateGraphs = extra.UpdateGraphs,
            Settings = settings,
        };
    }
}
