namespace Talm.Api.Cgu;

/// <summary>Condition types of a CGU, as the reference names them; misspellings are part of the contract.</summary>
public static class ConditionTypes
{
    public const string ClustersSelected = "ClustersSelected";
    public const string Validated = "Validated";
    public const string PrecacheSpecValid = "PrecacheSpecValid";
    public const string PrecachingSucceeded = "PrecachingSuceeded";
    public const string BackupSucceeded = "BackupSuceeded";
    public const string Progressing = "Progressing";
    public const string Succeeded = "Succeeded";
}

/// <summary>Condition reasons of a CGU, as the reference names them (UnresolvableDenpendency is spelt so on the wire).</summary>
public static class ConditionReasons
{
    public const string ClusterSelectionCompleted = "ClusterSelectionCompleted";
    public const string ClusterNotFound = "ClusterNotFound";
    public const string ValidationCompleted = "ValidationCompleted";
    public const string NotAllManagedPoliciesExist = "NotAllManagedPoliciesExist";
    public const string NotAllManifestTemplatesExist = "NotAllManifestTemplatesExist";
    public const string InvalidPlatformImage = "InvalidPlatformImage";
    public const string WaitingForPlacement = "WaitingForPlacement";
    public const string AmbiguousManagedPoliciesNames = "AmbiguousManagedPoliciesNames";
    public const string UnresolvableDependency = "UnresolvableDenpendency";
    public const string InProgress = "InProgress";
    public const string BackupCompleted = "BackupCompleted";
    public const string PrecachingCompleted = "PrecachingCompleted";
    public const string PartiallyDone = "PartiallyDone";
    public const string Failed = "Failed";
    public const string NotEnabled = "NotEnabled";
    public const string NotStarted = "NotStarted";
    public const string MissingBlockingCR = "MissingBlockingCR";
    public const string IncompleteBlockingCR = "IncompleteBlockingCR";
    public const string Completed = "Completed";
    public const string TimedOut = "TimedOut";
    public const string PrecacheSpecIsWellFormed = "PrecacheSpecIsWellFormed";
    public const string PrecacheSpecIncomplete = "PrecacheSpecIncomplete";

    /// <summary>
    /// Ours (Validated False): a spec value the CRD admits but talm cannot act on, such as a timeout beyond
    /// the integer range; the reference has no reason for it (it would overflow silently).
    /// </summary>
    public const string InvalidSpec = "InvalidSpec";
}

/// <summary>Per-cluster backup states.</summary>
public static class BackupStates
{
    public const string PreparingToStart = "PreparingToStart";
    public const string Starting = "Starting";
    public const string Active = "Active";
    public const string Succeeded = "Succeeded";
    public const string BackupTimeout = "BackupTimeout";
    public const string UnrecoverableError = "UnrecoverableError";

    public static bool IsFinal(string state) => state is Succeeded or BackupTimeout or UnrecoverableError;

    public static bool IsProgressing(string state) => state is PreparingToStart or Starting or Active;
}

/// <summary>Per-cluster pre-caching states.</summary>
public static class PrecacheStates
{
    public const string NotStarted = "NotStarted";
    public const string PreparingToStart = "PreparingToStart";
    public const string Starting = "Starting";
    public const string Active = "Active";
    public const string Succeeded = "Succeeded";
    public const string PrecacheTimeout = "PrecacheTimeout";
    public const string UnrecoverableError = "UnrecoverableError";

    public static bool IsProgressing(string state) => state is NotStarted or PreparingToStart or Starting or Active;
}
