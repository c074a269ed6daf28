namespace Talm.Recovery.Manifest;

/// <summary>The TALM-compatible names inside a backup directory (docs/backup-format.md), in one place.</summary>
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
    public const string ProgressFile = "progress";

    /// <summary>Beside the progress file: how the last unattended restore went (restore --unattended).</summary>
    public const string RestoreResult = "restore-result.json";

    public static string SnapshotFileName(string timestamp) => $"snapshot_{timestamp}.db";

    public static string StaticPodResourcesFileName(string timestamp) => $"static_kuberesources_{timestamp}.tar.gz";
}
