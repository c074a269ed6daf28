using System.Globalization;
using Talm.Recovery.Layout;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// Puts the backup's etcd snapshot in place of the node's data directory. The old directory is moved
/// aside, never deleted, and where it went is recorded in the backup directory before the move, so a
/// retried stage knows that the data directory it finds is its own unfinished restore.
/// </summary>
public sealed class EtcdDataRestore(NodeToolRunner tools, RecoveryLog log, TimeProvider time, TimeSpan heartbeat)
{
    public static string AsideRecordPath(string backupDir) => new BackupDirectory(backupDir).EtcdAsideRecord;

    /// <summary>Restores <paramref name="snapshot"/> into <paramref name="dataDir"/>; returns where the old data directory now is (null if there was none).</summary>
    public async Task<string?> RestoreAsync(string step, EtcdRestoreTool tool, string snapshot, string dataDir, string backupDir, string memberName, string peerUrl, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var record = AsideRecordPath(backupDir);
        string? aside = null;
        if (File.Exists(record) && File.ReadAllText(record).Trim() is { Length: > 0 } recorded && Directory.Exists(recorded))
        {
            // An earlier attempt already moved the original aside: what sits at dataDir now is ours.
            aside = recorded;
            if (Directory.Exists(dataDir))
            {
                log.Info($"Removing the unfinished restore of an earlier attempt at {dataDir} (the original data stays in {aside})");
                Directory.Delete(dataDir, recursive: true);
            }
        }
        else if (Directory.Exists(dataDir))
        {
            aside = $"{dataDir}.pre-recovery-{now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
            await File.WriteAllTextAsync(record, aside + "\n", cancellationToken).ConfigureAwait(false);
            Posix.Fsync(record);
            Posix.Fsync(backupDir);
            log.Info($"Moving the current etcd data directory aside to {aside}");
            Posix.Rename(dataDir, aside);
        }

        var fresh = dataDir + ".restoring";
        if (Directory.Exists(fresh))
        {
            Directory.Delete(fresh, recursive: true);
        }

        // etcdutl is the offline tool of etcd 3.5+; 3.4 has only etcdctl, which verifies the snapshot's hash trailer as it restores.
        log.Info($"Restoring the etcd snapshot {Path.GetFileName(snapshot)} into a fresh data directory with {tool.Path}");
        string[] args =
        [
            "snapshot", "restore", snapshot,
            "--data-dir", fresh,
            "--name", memberName,
            "--initial-cluster", $"{memberName}={peerUrl}",
            "--initial-advertise-peer-urls", peerUrl,
        ];
        using (Heartbeat.Start(log, time, heartbeat, $"{tool.Name} snapshot restore"))
        {
            await tools.RunAsync(step, tool.Path, args, cancellationToken).ConfigureAwait(false);
        }

        Posix.Rename(fresh, dataDir);
        Posix.Fsync(Path.GetDirectoryName(dataDir)!);
        return aside;
    }
}
