using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;

namespace Talm.Recovery.Restore;

/// <summary>
/// A host tree the restore makes a mirror of the backup's copy, in the order it does so, with the stage that
/// does it. The restore and its dry run both build their <see cref="MirrorRequest"/> here.
/// </summary>
public sealed record RestoredTree(string HostPath, string BackupName, string Stage)
{
    public static readonly IReadOnlyList<RestoredTree> All =
    [
        new("/usr/local", BackupLayout.LocalDir, RestoreStage.RestoreFiles),
        new("/etc", BackupLayout.EtcDir, RestoreStage.RestoreFiles),
        new("/var/lib/kubelet", BackupLayout.KubeletDir, RestoreStage.RestoreCluster),
    ];

    public static RestoredTree Named(string backupName) => All.Single(t => t.BackupName == backupName);

    /// <summary>What the mirror leaves alone: for /etc, the backup's list of what it did not take.</summary>
    public ExcludeList Excludes(string backupRoot) =>
        BackupName == BackupLayout.EtcDir ? ExcludeList.Load(Path.Combine(backupRoot, BackupLayout.EtcExcludeList)) : ExcludeList.Empty;

    public MirrorRequest Request(string backupRoot, BackupManifest manifest, string targetPath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new MirrorRequest(HostPath, Path.Combine(backupRoot, BackupName), targetPath, BackupName, manifest.Entries, Excludes(backupRoot), manifest.StartedAt);
    }
}
