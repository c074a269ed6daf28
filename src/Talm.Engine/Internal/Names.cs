namespace Talm.Engine.Internal;

/// <summary>Fixed names of the hub and spoke objects (hub-protocol §5.2, §5b).</summary>
internal static class Names
{
    // Backup, in the hub namespace named after the cluster.
    public const string BackupNsDelete = "backup-ns-delete";
    public const string BackupCrbDelete = "backup-crb-delete";
    public const string BackupNsCreate = "backup-ns-create";
    public const string BackupSaCreate = "backup-sa-create";
    public const string BackupCrbCreate = "backup-crb-create";
    public const string BackupJobCreate = "backup-job-create";
    public const string ViewBackupNamespace = "view-backup-namespace";
    public const string ViewBackupJob = "view-backup-job";

    // Backup, on the spoke.
    public const string BackupNamespace = "openshift-talo-backup";
    public const string BackupAgent = "backup-agent";

    // Pre-caching, in the hub namespace named after the cluster.
    public const string PrecacheNsCreate = "precache-ns-create";
    public const string PrecacheSaCreate = "precache-sa-create";
    public const string PrecacheCrbCreate = "precache-crb-create";
    public const string PrecacheSpecCmCreate = "precache-spec-cm-create";
    public const string PrecacheJobCreate = "precache-job-create";
    public const string PrecacheNsDelete = "precache-ns-delete";
    public const string PrecacheCrbDelete = "precache-crb-delete";
    public const string ViewPrecacheNamespace = "view-precache-namespace";
    public const string ViewPrecacheSpecConfigMap = "view-precache-spec-configmap";
    public const string ViewPrecacheServiceAccount = "view-precache-service-acct";
    public const string ViewPrecacheClusterRoleBinding = "view-precache-cluster-role-binding";
    public const string ViewPrecacheJob = "view-precache-job";

    // Pre-caching, on the spoke.
    public const string PrecacheNamespace = "openshift-talo-pre-cache";
    public const string PrecacheAgent = "pre-cache-agent";
    public const string PrecacheCrb = "pre-cache-crb";
    public const string PrecacheSpecConfigMap = "pre-cache-spec";
    public const string PrecacheJob = "pre-cache";

    // Placements.
    public const string AppLabel = "app";
    public const string AppLabelValue = "openshift-cluster-group-upgrades";
    public const string CguLabel = "openshift-cluster-group-upgrades/clusterGroupUpgrade";
    public const string CguNamespaceLabel = "openshift-cluster-group-upgrades/clusterGroupUpgradeNamespace";
    public const string ForPolicyLabel = "openshift-cluster-group-upgrades/forPolicy";
    public const string VeleroExcludeLabel = "velero.io/exclude-from-backup";
    public const string ResourceNameAnnotation = "cluster-group-upgrades-operator/rname";
    public const string UnavailableTaint = "cluster.open-cluster-management.io/unavailable";
    public const string UnreachableTaint = "cluster.open-cluster-management.io/unreachable";

    /// <summary>Generated names must fit with their namespace in a policy-name-sized budget.</summary>
    public const int MaxGeneratedNameLength = 63;
}
