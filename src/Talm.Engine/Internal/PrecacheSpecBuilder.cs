using System.Text.Json;
using Talm.Api.Cgu;

namespace Talm.Engine.Internal;

/// <summary>Derives what to pre-pull from the policies for upgrade, then applies the PreCachingConfig (§5b).</summary>
internal static class PrecacheSpecBuilder
{
    /// <returns>The spec, and why it is incomplete (null when valid).</returns>
    public static (PrecachingSpec Spec, string? Problem) Build(DecisionContext ctx, List<ManagedPolicy> policies)
    {
        string? platformImage = null;
        var indexes = new List<string>();
        var packages = new List<string>();
        foreach (var policy in policies)
        {
            foreach (var obj in PolicyTemplates.Objects(policy.Root))
            {
                if (string.Equals(obj.ComplianceType, "mustnothave", StringComparison.OrdinalIgnoreCase))
                    continue;
                var def = obj.Definition;
                switch (PolicyTemplates.Str(def, "kind"))
                {
                    case "ClusterVersion":
                        platformImage ??= PolicyTemplates.Str(def, "spec", "desiredUpdate", "image");
                        break;
                    case "CatalogSource":
                        AddOnce(indexes, PolicyTemplates.Str(def, "spec", "image"));
                        break;
                    case "Subscription":
                        var name = PolicyTemplates.Str(def, "spec", "name");
                        var channel = PolicyTemplates.Str(def, "spec", "channel");
                        if (!string.IsNullOrEmpty(name))
                            AddOnce(packages, string.IsNullOrEmpty(channel) ? name : $"{name}:{channel}");
                        break;
                }
            }
        }

        var spec = new PrecachingSpec
        {
            PlatformImage = platformImage,
            OperatorsIndexes = indexes,
            OperatorsPackagesAndChannels = packages,
            SpaceRequired = PrecachingSpec.DefaultSpaceRequired,
        };

        var reference = ctx.Spec.PreCachingConfigRef;
        if (reference is { Name.Length: > 0 })
        {
            var config = ctx.Snapshot.PreCachingConfig;
            var refNs = string.IsNullOrEmpty(reference.Namespace) ? ctx.Cgu.Namespace : reference.Namespace;
            if (config is null || config.Metadata.Name != reference.Name || (config.Metadata.Namespace ?? "") != refNs)
                return (spec, $"PreCachingConfig {refNs}/{reference.Name} not found; create it or fix preCachingConfigRef");
            var c = config.Spec;
            spec = spec with
            {
                PlatformImage = string.IsNullOrEmpty(c.Overrides?.PlatformImage) ? spec.PlatformImage : c.Overrides.PlatformImage,
                OperatorsIndexes = c.Overrides?.OperatorsIndexes is { Count: > 0 } oi ? oi : spec.OperatorsIndexes,
                OperatorsPackagesAndChannels = c.Overrides?.OperatorsPackagesAndChannels is { Count: > 0 } op ? op : spec.OperatorsPackagesAndChannels,
                ExcludePrecachePatterns = c.ExcludePrecachePatterns is { Count: > 0 } ex ? ex : null,
                AdditionalImages = c.AdditionalImages is { Count: > 0 } ai ? ai : null,
                SpaceRequired = string.IsNullOrEmpty(c.SpaceRequired) ? spec.SpaceRequired : c.SpaceRequired,
            };
        }
        if (spec.OperatorsIndexes is { Count: 0 })
            spec = spec with { OperatorsIndexes = null };
        if (spec.OperatorsPackagesAndChannels is { Count: 0 })
            spec = spec with { OperatorsPackagesAndChannels = null };

        string? problem = null;
        if (spec.OperatorsPackagesAndChannels is not null && spec.OperatorsIndexes is null)
            problem = "operator packages are given but no operator index (CatalogSource image)";
        else if (spec.OperatorsIndexes is not null && spec.OperatorsPackagesAndChannels is null)
            problem = "an operator index is given but no operator packages (Subscriptions)";
        else if (string.IsNullOrEmpty(spec.PlatformImage) && spec.OperatorsIndexes is null && spec.AdditionalImages is null)
            problem = "nothing to pre-cache: no platform image, operator index or additional image";
        else if (string.IsNullOrEmpty(ctx.Snapshot.Settings.PrecacheImage))
            problem = "the operator has no PRECACHE_IMG; set PRECACHE_IMG to the pre-cache workload image in the operator's environment and restart it";
        return (spec, problem);
    }

    /// <summary>The data of the pre-cache-spec ConfigMap the spoke workload reads.</summary>
    public static JsonElement ConfigMap(PrecachingSpec spec) => SpokeObjects.Element(new System.Text.Json.Nodes.JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = Names.PrecacheSpecConfigMap, ["namespace"] = Names.PrecacheNamespace },
        ["data"] = new System.Text.Json.Nodes.JsonObject
        {
            ["platform.image"] = spec.PlatformImage ?? "",
            ["operators.indexes"] = string.Join('\n', spec.OperatorsIndexes ?? []),
            ["operators.packagesAndChannels"] = string.Join('\n', spec.OperatorsPackagesAndChannels ?? []),
            ["excludePrecachePatterns"] = string.Join('\n', spec.ExcludePrecachePatterns ?? []),
            ["additionalImages"] = string.Join('\n', spec.AdditionalImages ?? []),
            ["spaceRequired"] = spec.SpaceRequired ?? PrecachingSpec.DefaultSpaceRequired,
        },
    });

    private static void AddOnce(List<string> list, string? value)
    {
        if (!string.IsNullOrEmpty(value) && !list.Contains(value))
            list.Add(value);
    }
}
