namespace Talm.Api.Rhacm;

/// <summary>
/// The fixed names of the ManagedClusterActions and ManagedClusterViews talm makes in a cluster's namespace, and of what they
/// make on the spoke (the reference's names: docs/compatibility.md). The engine writes them; the lab and the agent read them.
/// </summary>
public static class SpokeNames
{
    // Backup.
    public const string BackupNsDelete = "backup-ns-delete";
    public const string BackupCrbDelete = "backup-crb-delete";
    public const string BackupNsCreate = "backup-ns-create";
    public const string BackupSaCreate = "backup-sa-create";
    public const string BackupCrbCreate = "backup-crb-create";
    public const string BackupJobCreate = "backup-job-create";
    public const string ViewBackupNamespace = "view-backup-namespace";
    public const string ViewBackupJob = "view-backup-job";
    public const string BackupNamespace = "openshift-talo-backup";
    public const string BackupAgent = "backup-agent";

    // Pre-caching.
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
    public const string PrecacheNamespace = "openshift-talo-pre-cache";
    public const string PrecacheAgent = "pre-cache-agent";
    public const string PrecacheCrb = "pre-cache-crb";
    public const string PrecacheSpecConfigMap = "pre-cache-spec";
    public const string PrecacheJob = "pre-cache";

    // Ours: the backup's pre-flight (kubectl talm preflight), apart from everything above so that it never
    // touches what a running CGU made (its namespace is deleted at the end of a backup, and so is ours).
    public const string PreflightNsDelete = "talm-preflight-ns-delete";
    public const string PreflightCrbDelete = "talm-preflight-crb-delete";
    public const string PreflightNsCreate = "talm-preflight-ns-create";
    public const string PreflightSaCreate = "talm-preflight-sa-create";
    public const string PreflightCrbCreate = "talm-preflight-crb-create";
    public const string PreflightJobCreate = "talm-preflight-job-create";
    public const string ViewPreflightNamespace = "talm-preflight-ns-view";
    public const string ViewPreflightJob = "talm-preflight-job-view";
    public const string PreflightNamespace = "openshift-talo-preflight";

    /// <summary>The Job, its service account and its cluster role binding.</summary>
    public const string PreflightAgent = Api.Agent.PreflightReport.Job;

    public static readonly string[] BackupViews = [ViewBackupJob, ViewBackupNamespace];
    public static readonly string[] BackupActions = [BackupNsCreate, BackupSaCreate, BackupCrbCreate, BackupJobCreate];
    public static readonly string[] PrecacheViews = [ViewPrecacheNamespace, ViewPrecacheJob, ViewPrecacheSpecConfigMap, ViewPrecacheServiceAccount, ViewPrecacheClusterRoleBinding];
    public static readonly string[] PrecacheActions = [PrecacheNsCreate, PrecacheSpecCmCreate, PrecacheSaCreate, PrecacheCrbCreate, PrecacheJobCreate];
    public static readonly string[] PreflightViews = [ViewPreflightNamespace, ViewPreflightJob];
    public static readonly string[] PreflightCreateActions = [PreflightNsCreate, PreflightSaCreate, PreflightCrbCreate, PreflightJobCreate];
    public static readonly string[] PreflightDeleteActions = [PreflightNsDelete, PreflightCrbDelete];
    public static readonly string[] PrecacheDependencyViews = [ViewPrecacheSpecConfigMap, ViewPrecacheServiceAccount, ViewPrecacheClusterRoleBinding];
}
