using Talm.Api.Cgu;

namespace Talm.Engine.Reconcile;

/// <summary>A CGU rolls out policies, or ManifestWorks when it names manifestWorkTemplates.</summary>
internal enum RolloutType
{
    Policy,
    ManifestWork,
}

internal static class RolloutTypes
{
    public static RolloutType Of(ClusterGroupUpgradeSpec spec) =>
        spec.ManifestWorkTemplates is { Count: > 0 } ? RolloutType.ManifestWork : RolloutType.Policy;

    public static string InProgressMessage(RolloutType type) =>
        type == RolloutType.Policy ? "Remediating non-compliant policies" : "Rolling out manifestworks";

    public static string TimeoutMessage(RolloutType type) =>
        type == RolloutType.Policy ? "Policy remediation took too long" : "Manifestwork rollout took too long";

    public static string CompletedMessage(RolloutType type) =>
        type == RolloutType.Policy ? "All clusters are compliant with all the managed policies" : "All manifestworks rolled out successfully on all clusters";
}
