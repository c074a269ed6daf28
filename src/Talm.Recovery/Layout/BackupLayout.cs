namespace Talm.Recovery.Layout;

/// <summary>
/// The names of what a backup holds (docs/backup-format.md): the TALM-compatible ones, so existing runbooks still apply,
/// and talm's <c>bin/</c> and <c>manifest.json</c>. Each is a name inside a generation and a fixed top-level symlink
/// through <c>current</c>; everything else inside the backup directory is <see cref="BackupDirectory"/>'s.
/// </summary>
public static class BackupLayout
{
    public const string DefaultBackupDir = "/var/recovery";
    public const string JobHostRoot = "/host";
    public const string RecoveryScript = "upgrade-recovery.sh";
    public const string ClusterDir = "cluster";
    public const string EtcDir = "etc";
    public const string LocalDir = "local";
    public const string KubeletDir = "kubelet";
    public const string EtcExcludeList = "etc.exclude.list";
    public const string ExtrasArchive = "extras.tgz";
    public const string ImagesDir = "images";
    public const string Manifest = "manifest.json";

    /// <summary>The program that took the backup, so <see cref="RecoveryScript"/> runs on a node without the SDK.</summary>
    public const string BinDir = "bin";

    /// <summary>The top-level names that resolve through <c>current</c> (<see cref="BackupDirectory.EnsureFixedNames"/>).</summary>
    public static readonly IReadOnlyList<string> FixedNames =
    [
        RecoveryScript, ClusterDir, EtcDir, LocalDir, KubeletDir, EtcExcludeList, ExtrasArchive, ImagesDir, Manifest, BinDir,
    ];

    public static string SnapshotFileName(string timestamp) => $"snapshot_{timestamp}.db";

    public static string StaticPodResourcesFileName(string timestamp) => $"static_kuberesources_{timestamp}.tar.gz";
}
