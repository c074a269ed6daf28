namespace Talm.Recovery.Restore;

/// <summary>The lines of the progress file (docs/recovery.md): one completed stage per line, in this order.</summary>
public static class RestoreStage
{
    public const string Started = "started";
    public const string RestoreFiles = "restore_files";
    public const string RestoreCluster = "restore_cluster";

    /// <summary>The last stage, which has no line: completing it removes the progress file.</summary>
    public const string Final = "redeploy";

    public static readonly IReadOnlyList<string> Recorded = [Started, RestoreFiles, RestoreCluster];
}
