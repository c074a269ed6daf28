using System.Text.Json.Nodes;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>What to pre-cache: derived from the managed policies, then overridden by the PreCachingConfig or the deprecated overrides ConfigMap.</summary>
internal static partial class Precaching
{
    /// <summary>extractPrecachingSpecFromPolicies: Subscriptions as "name:channel", CatalogSource images, the platform image.</summary>
    private static (PrecachingSpec Spec, string? Error, bool Pending) FromPolicies(ReconcileContext ctx, IReadOnlyList<Policy> policies)
    {
        var packages = new List<string>();
        var indexes = new List<string>();
        foreach (var policy in policies)
        {
            var (objects, error) = PolicyObjects.Strip(policy);
            if (error is not null)
                return (new PrecachingSpec(), error, false);
            foreach (var obj in objects)
            {
                var spec = obj["spec"] as JsonObject;
                switch (PolicyObjects.Str(obj["kind"]))
                {
                    case "Subscription":
                        packages.Add($"{GoString(spec?["name"])}:{GoString(spec?["channel"])}");
                        break;
                    case "CatalogSource":
                        indexes.Add(GoString(spec?["image"]));
                        break;
                }
            }
        }
        var (image, imageError, pending) = PlatformVersion.Image(ctx, policies);
        if (pending || imageError is not null)
            return (new PrecachingSpec(), imageError, pending);
        return (new PrecachingSpec { PlatformImage = image, OperatorsIndexes = indexes, OperatorsPackagesAndChannels = packages }, null, false);
    }

    /// <summary>includePreCachingConfigs: the PreCachingConfig wins, then the deprecated overrides ConfigMap, then what the policies say.</summary>
    private static (PrecachingSpec Spec, string? Error) WithConfigs(ReconcileContext ctx, PrecachingSpec derived)
    {
        var reference = ctx.Spec.PreCachingConfigRef;
        var config = Api.Rhacm.PreCachingConfigSpec.Empty;
        if (reference is { Name.Length: > 0 })
        {
            if (ctx.Snapshot.PreCachingConfig is not { } found)
                return (derived, $"PreCachingConfig.ran.openshift.io \"{reference.Name}\" not found");
            config = found.Spec;
        }
        var overrides = ctx.Snapshot.Overrides ?? new Dictionary<string, string>();

        List<string> Pick(IReadOnlyList<string>? fromConfig, string field, List<string> fromPolicies)
        {
            if (fromConfig is { Count: > 0 })
                return [.. fromConfig];
            var text = overrides.GetValueOrDefault(field) ?? "";
            if (text == "")
                return fromPolicies;
            return [.. text.Split('\n').Where(v => v != "").Select(v => v.Trim())];
        }

        var space = config.SpaceRequired;
        if (string.IsNullOrEmpty(space))
        {
            space = overrides.GetValueOrDefault("precache.spaceRequired");
            if (string.IsNullOrEmpty(space))
                space = SpaceRequired.Default;
        }
        var (gib, spaceError) = SpaceRequired.Normalize(space);
        if (spaceError is not null)
            return (derived, spaceError);
        var spec = new PrecachingSpec
        {
            PlatformImage = NullIfEmpty(derived.PlatformImage),
            OperatorsIndexes = NullIfEmpty(derived.OperatorsIndexes),
            OperatorsPackagesAndChannels = NullIfEmpty(Pick(config.Overrides?.OperatorsPackagesAndChannels, "operators.packagesAndChannels", [.. derived.OperatorsPackagesAndChannels ?? []])),
            ExcludePrecachePatterns = NullIfEmpty(Pick(config.ExcludePrecachePatterns, "excludePrecachePatterns", [])),
            AdditionalImages = NullIfEmpty(config.AdditionalImages),
            SpaceRequired = gib,
        };
        return (spec, null);
    }

    private static string? Inconsistency(PrecachingSpec spec)
    {
        var operators = spec.OperatorsIndexes is { Count: > 0 };
        var platform = !string.IsNullOrEmpty(spec.PlatformImage);
        if (operators && spec.OperatorsPackagesAndChannels is not { Count: > 0 })
            return "inconsistent precaching configuration: olm index provided, but no packages";
        if (!operators && !platform)
            return "inconsistent precaching configuration: no software spec provided";
        return null;
    }
}
