namespace Talm.Engine.Reconcile;

/// <summary>Labels, annotations and fixed names the hub objects carry, as the reference writes them.</summary>
internal static class HubNames
{
    public const string AppLabel = "app";
    public const string AppLabelValue = "openshift-cluster-group-upgrades";
    public const string CguLabel = "openshift-cluster-group-upgrades/clusterGroupUpgrade";
    public const string CguNamespaceLabel = "openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace";
    public const string ForPolicyLabel = "openshift-cluster-group-upgrades/forPolicy";
    public const string ChildPolicyLabel = "policy.open-cluster-management.io/root-policy";
    public const string VeleroExcludeLabel = "velero.io/exclude-from-backup";
    public const string DesiredNameAnnotation = "cluster-group-upgrades-operator/rname";
    public const string NameSuffixAnnotation = "cluster-group-upgrades-operator/name-suffix";
    public const string SoakAnnotation = "ran.openshift.io/soak-seconds";
    public const string BlockingCompletionModeAnnotation = "ran.openshift.io/blocking-cgu-completion-mode";
    public const string BlockingClusterFilteringAnnotation = "ran.openshift.io/blocking-cgu-cluster-filtering";
    public const string PartialBlockingCompletion = "partial";
    public const string ExpectedValuesAnnotation = "openshift-cluster-group-upgrades/expectedValues";
    public const string UnavailableTaint = "cluster.open-cluster-management.io/unavailable";
    public const string UnreachableTaint = "cluster.open-cluster-management.io/unreachable";
    public const string NoClusterSetBindings = "NoManagedClusterSetBindings";
    public const string OverridesConfigMap = "cluster-group-upgrade-overrides";

    /// <summary>Generated names (Placements, views of monitored objects, ManifestWorks) fit in an object name.</summary>
    public const int MaxObjectNameLength = 253;

    public const int RandomSuffixLength = 5;

    /// <summary>The labels that mark an object as made for one CGU.</summary>
    public static Dictionary<string, string> CguLabels(string name, string ns) => new(StringComparer.Ordinal)
    {
        [CguLabel] = name,
        [CguNamespaceLabel] = ns,
    };
}
