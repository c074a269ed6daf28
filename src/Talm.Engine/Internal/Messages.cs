using System.Globalization;

namespace Talm.Engine.Internal;

/// <summary>Condition messages of hub-protocol §2, exact.</summary>
internal static class Messages
{
    public const string AllClustersValid = "All selected clusters are valid";
    public const string NoClusterSpecified = "Unable to select clusters: no cluster specified for remediation";
    public const string CompletedValidation = "Completed validation";
    public const string BackupCompleted = "Backup is completed for all clusters";
    public const string BackupFailedAll = "Backup failed for all clusters";
    public const string PrecachingCompleted = "Precaching is completed for all clusters";
    public const string PrecachingFailedAll = "Precaching failed for all clusters";
    public const string NotEnabled = "Not enabled";
    public const string BackupInProgressProgressing = "Cluster backup is in progress";
    public const string Remediating = "Remediating non-compliant policies";
    public const string NoClustersBackupFailed = "No clusters available for remediation (Backup failed)";
    public const string NoClustersPrecachingFailed = "No clusters available for remediation (Precaching failed)";
    public const string AllCompliant = "All clusters are compliant with all the managed policies";
    public const string AlreadyCompliant = "All clusters already compliant with the specified managed policies";
    public const string TookTooLong = "Policy remediation took too long";
    public const string TookTooLongCanary = "Policy remediation took too long: on canary clusters";
    public const string TookTooLongSome = "Policy remediation took too long: on some clusters";
    public const string PrecacheSpecValid = "Precaching spec is valid and consistent";

    public const string RecoveryImageMissing =
        "Backup cannot start: the operator has no RECOVERY_IMG; set RECOVERY_IMG to the recovery image in the operator's environment and restart it";

    public static string ClusterNotManaged(string name) => $"Unable to select clusters: cluster {name} is not a ManagedCluster";

    public static string CanaryNotInList(string name) => $"Unable to select clusters: canary cluster {name} is not in the list of clusters";

    /// <summary>Go's %s of a []string: "[a b]".</summary>
    public static string GoList(IEnumerable<string> items) => "[" + string.Join(' ', items) + "]";

    public static string MissingPolicies(IEnumerable<string> names) => $"Missing managed policies: {GoList(names)} ";

    public static string InvalidPolicies(IEnumerable<string> names) => $"Invalid managed policies: {GoList(names)} ";

    public static string AmbiguousPolicies(string json) => $"Managed policy name should be unique, but was found in multiple namespaces: {json} ";

    public static string UnresolvableDependency(string policy, string dependency) =>
        $"Managed Policy {policy} depends on {dependency}, which is to be remediated later";

    public static string BackupInProgress(int n) => string.Create(CultureInfo.InvariantCulture, $"Backup in progress for {n} clusters");

    public static string BackupFailed(int n) => string.Create(CultureInfo.InvariantCulture, $"Backup failed for {n} clusters");

    public static string PrecachingInProgress(int n) => string.Create(CultureInfo.InvariantCulture, $"Precaching in progress for {n} clusters");

    public static string PrecachingFailed(int n) => string.Create(CultureInfo.InvariantCulture, $"Precaching failed for {n} clusters");

    public static string MissingBlockingCrs(IEnumerable<string> names) => $"Missing blocking CRs: {GoList(names)}";

    public static string IncompleteBlockingCrs(IEnumerable<string> names) => $"Blocking CRs that are not completed: {GoList(names)}";

    public static string PrecacheSpecIncomplete(string why) => $"Precaching spec is incomplete: {why}";
}
