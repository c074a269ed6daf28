using Talm.Recovery.Host;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Restore;
using Talm.Recovery.Rollback;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Status;

/// <summary>Gathers the backup, ostree and restore state of a node for <c>talm recovery status</c>.</summary>
public static class StatusCollector
{
    /// <param name="verify">Re-hash the current backup.</param>
    /// <param name="verifyAll">Re-hash every restore point (the current one included).</param>
    public static async Task<RecoveryStatus> CollectAsync(string hostRoot, string backupDir, bool verify, int parallelism, CancellationToken cancellationToken, bool verifyAll = false)
    {
        var backup = await BackupAsync(backupDir, verify || verifyAll, parallelism, cancellationToken).ConfigureAwait(false);
        backup = backup with
        {
            Generation = new BackupDirectory(backupDir).CurrentId(),
            RestorePoints = await RestorePointsAsync(backupDir, backup, verifyAll, parallelism, cancellationToken).ConfigureAwait(false),
        };
        return new RecoveryStatus(backup, Ostree(hostRoot), Restore(backupDir));
    }

    private static async Task<IReadOnlyList<RestorePointInfo>> RestorePointsAsync(string dir, BackupStatusInfo current, bool verifyAll, int parallelism, CancellationToken cancellationToken)
    {
        var points = new BackupDirectory(dir).RestorePoints();
        var manifests = new Dictionary<string, BackupManifest>(StringComparer.Ordinal);
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var point in points)
        {
            try
            {
                manifests[point.Id] = ManifestStore.Read(point.Root);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                problems[point.Id] = e.Message;
            }
        }

        // One restore point owns all it holds: its inodes need not be looked at (a status must stay quick).
        var space = points.Count > 1 ? RestorePointSpace.Measure(points.Where(p => manifests.ContainsKey(p.Id)).Select(p => (p.Id, p.Root, manifests[p.Id]))) : null;
        var infos = new List<RestorePointInfo>();
        foreach (var point in points)
        {
            if (!manifests.TryGetValue(point.Id, out var manifest))
            {
                infos.Add(new RestorePointInfo { Id = point.Id, Current = point.IsCurrent, Problem = problems[point.Id] });
                continue;
            }

            VerifyReport? report = !point.IsCurrent && verifyAll
                ? await BackupVerifier.VerifyAsync(point.Root, parallelism, null, cancellationToken).ConfigureAwait(false)
                : null;
            infos.Add(new RestorePointInfo
            {
                Id = point.Id,
                Current = point.IsCurrent,
                TakenAt = manifest.CompletedAt,
                Files = manifest.Totals.Files,
                Bytes = manifest.Totals.Bytes,
                OwnBytes = space?.OnlyIn(point.Id) ?? manifest.Entries.Where(e => e is { Kind: EntryKind.File, HardLinkTo: null }).Sum(e => e.Size),
                OsVersion = manifest.Ostree?.Version,
                OstreeChecksum = manifest.Ostree?.Checksum,
                EtcdRevision = manifest.Etcd.Revision,
                Verified = point.IsCurrent ? current.Verified : report?.Intact,
                VerifyProblems = point.IsCurrent ? current.VerifyProblems : report?.Problems ?? [],
            });
        }

        return infos;
    }

    private static async Task<BackupStatusInfo> BackupAsync(string dir, bool verify, int parallelism, CancellationToken cancellationToken)
    {
        var root = new BackupDirectory(dir).CurrentRoot();
        if (root is null)
        {
            return new BackupStatusInfo { Dir = dir, Present = false, Problem = $"no complete backup in {dir} (no {BackupLayout.Manifest})" };
        }

        BackupManifest manifest;
        try
        {
            manifest = ManifestStore.Read(root);
        }
        catch (InvalidDataException e)
        {
            return new BackupStatusInfo { Dir = dir, Present = false, Problem = e.Message };
        }

        VerifyReport? report = verify
            ? await BackupVerifier.VerifyAsync(dir, parallelism, null, cancellationToken).ConfigureAwait(false)
            : null;
        return new BackupStatusInfo
        {
            Dir = dir,
            Present = true,
            Host = manifest.Host,
            TakenAt = manifest.CompletedAt,
            Files = manifest.Totals.Files,
            Bytes = manifest.Totals.Bytes,
            OsVersion = manifest.Ostree?.Version,
            OstreeChecksum = manifest.Ostree?.Checksum,
            EtcdRevision = manifest.Etcd.Revision,
            Verified = report?.Intact,
            VerifyProblems = report?.Problems ?? [],
        };
    }

    private static OstreeStatusInfo Ostree(string hostRoot)
    {
        var ostree = new NodeOstree(new HostPaths(hostRoot));
        var sysroot = ostree.Sysroot;
        try
        {
            var deployments = ostree.Deployments();
            var plan = RollbackPlanner.Plan(deployments);
            return new OstreeStatusInfo
            {
                Sysroot = sysroot,
                Deployments = deployments.Select(d => new DeploymentStatusInfo(d.Index, d.Checksum, d.Serial, d.Version, d.Pinned, d.Booted)).ToList(),
                RollbackAction = plan.Action.ToString(),
                RollbackDescription = plan.Describe(),
            };
        }
        catch (OstreeException e)
        {
            return new OstreeStatusInfo { Sysroot = sysroot, Problem = e.Message };
        }
    }

    private static RestoreStatusInfo Restore(string backupDir)
    {
        var dir = new BackupDirectory(backupDir);
        IReadOnlyList<string> stages;
        try
        {
            stages = dir.Progress.Read();
        }
        catch (InvalidDataException e)
        {
            return new RestoreStatusInfo { Stage = "unknown", Next = e.Message, Unattended = dir.RestoreResult.TryRead() };
        }

        var script = RestoreRunner.DefaultProgramName(backupDir);
        var (stage, next) = stages.Count == 0
            ? ("not-started", "no restore in progress")
            : stages[^1] switch
            {
                RestoreStage.Started => (RestoreStage.Started, $"stage restore_files did not complete: run '{script} --resume' (or --restart)"),
                RestoreStage.RestoreFiles => (RestoreStage.RestoreFiles, $"reboot if not done yet ('systemctl reboot'), then run '{script} --resume'"),
                _ => (RestoreStage.RestoreCluster, $"run '{script} --resume' to force the control plane redeployment and finish"),
            };
        return new RestoreStatusInfo
        {
            Stage = stage,
            CompletedStages = stages,
            Next = next,
            Generation = stages.Count > 0 ? dir.Progress.RecordedGeneration() : null,
            Unattended = dir.RestoreResult.TryRead(),
        };
    }
}
