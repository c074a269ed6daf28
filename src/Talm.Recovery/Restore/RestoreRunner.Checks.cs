using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Restore;

/// <summary>What the restore checks before it changes anything, and before each resumed stage.</summary>
public sealed partial class RestoreRunner
{
    private List<string> PreChecks()
    {
        if (string.IsNullOrWhiteSpace(options.Kubeconfig) || !IsReadable(options.Kubeconfig))
        {
            throw new RestoreFailedException("Please provide kubeconfig location in KUBECONFIG env variable");
        }

        foreach (var name in new[] { BackupLayout.ClusterDir, BackupLayout.EtcDir, BackupLayout.LocalDir, BackupLayout.KubeletDir })
        {
            if (!Directory.Exists(_dir.Fixed(name)))
            {
                throw new RestoreFailedException($"Required backup content not found in {options.BackupDir}");
            }
        }

        if (options.Restart && Progress.Exists)
        {
            log.Info($"--restart: clearing the progress file {Progress.Path}; the restore starts from the first stage");
            Progress.Delete();
        }

        List<string> stages;
        try
        {
            stages = Progress.Read().ToList();
        }
        catch (InvalidDataException e)
        {
            throw new RestoreFailedException(e.Message, e);
        }

        if (stages.Count > 0 && !options.Resume && !options.Step)
        {
            throw new RestoreFailedException("Restore has already started. Use --restart option to restart, or --step to resume");
        }

        if (stages.Count > 0)
        {
            log.Info($"Resuming after stage {stages[^1]}");
        }

        return stages;
    }

    private ConfinedDirectory OpenHostRoot()
    {
        try
        {
            return ConfinedDirectory.Open(options.HostRoot);
        }
        catch (NativeException e)
        {
            throw new RestoreFailedException($"The host root {options.HostRoot} cannot be used ({e.Message}); check --host-root. Nothing on the node was changed.", e, RestoreFailure.BadInput);
        }
    }

    private static bool IsReadable(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static BackupManifest ReadManifest(string root)
    {
        try
        {
            return ManifestStore.Read(root);
        }
        catch (InvalidDataException e)
        {
            throw new RestoreFailedException(e.Message + "; nothing on the node was changed", e);
        }
    }

    /// <summary>The deployment the node runs (the booted one, or the default under a host root); null when it cannot be told and --force allows going on.</summary>
    private OstreeDeployment? ActiveDeployment()
    {
        try
        {
            return NodeOstree.Active(new NodeOstree(options.Host).Deployments());
        }
        catch (OstreeException e)
        {
            if (options.Force)
            {
                log.Warn($"{e.Message}; continuing because of --force");
                return null;
            }

            throw new RestoreFailedException($"{e.Message}; cannot tell whether the active deployment is the pinned one (use --force to go on anyway)", e);
        }
    }

    private void CheckPinned(OstreeDeployment? active)
    {
        const string message = "Active ostree deployment is not pinned and should be rolled back.";
        if (active is { Pinned: true })
        {
            return;
        }

        if (options.Force)
        {
            log.Warn($"{message} Continuing because of --force.");
            return;
        }

        throw new RestoreFailedException($"{message}\nRun 'talm recovery rollback' (or 'rpm-ostree rollback -r'), reboot, then run '{ProgramName}' again; or use --force to restore onto this OS anyway.");
    }

    /// <summary>The backup must be of this node and of the OS it runs, before anything is changed.</summary>
    private void CheckOrigin(BackupManifest manifest, ConfinedDirectory host, OstreeDeployment? active)
    {
        var origin = BackupOrigin.Compare(manifest, NodeIdentity.Read(host, options.Host.IsRunningSystem), active);
        if (origin.Mismatches.Count > 0)
        {
            var list = string.Join("\n", origin.Mismatches.Select(m => "  - " + m));
            if (!options.Force)
            {
                throw new RestoreFailedException(
                    $"This backup is not of this node, or not of the OS it runs:\n{list}\n" +
                    "Nothing on the node was changed. Restore this node's own backup ('talm recovery status' shows whose this one is), " +
                    $"after 'talm recovery rollback' if the OS differs; only if you are sure it is right, run '{ProgramName} --force'.");
            }

            log.Warn("--force: THIS BACKUP IS NOT OF THIS NODE, or not of the OS it runs; restoring it anyway:");
            foreach (var mismatch in origin.Mismatches)
            {
                log.Warn("  " + mismatch);
            }

            log.Warn("--force: /etc, /usr/local, /var/lib/kubelet and etcd are about to be replaced by this backup's");
        }
        else if (!origin.Confirmed)
        {
            log.Warn($"Cannot confirm that this backup is of this node: neither side records its {string.Join(", ", origin.Unconfirmed)}");
        }
    }

    /// <summary>--resume continues a restore only on the host root it began on.</summary>
    private void CheckSameHostRoot()
    {
        var recorded = Progress.RecordedHostRoot();
        if (recorded is null || recorded == options.HostRoot)
        {
            return;
        }

        throw new RestoreFailedException(
            $"The restore in {options.BackupDir} began on the host root {recorded}, not {options.HostRoot}; nothing was changed. " +
            $"Run '{ProgramName} --host-root {recorded} --resume' to continue it there, or '--restart' to start over on {options.HostRoot}.");
    }

    private async Task VerifyBackupAsync(RestoreSource source, bool beforeAnyChange, long totalBytes, CancellationToken cancellationToken)
    {
        log.Info($"Verifying the backup in {options.BackupDir} against its manifest before changing anything ({totalBytes / (1024.0 * 1024.0):0} MiB to re-hash)");
        long hashed = 0;
        using var ticker = time.CreateTimer(
            _ => log.Info($"  verifying: {Interlocked.Read(ref hashed) / (1024.0 * 1024.0):0} / {totalBytes / (1024.0 * 1024.0):0} MiB"),
            null,
            TimeSpan.FromSeconds(5),
            TimeSpan.FromSeconds(5));
        var report = await BackupVerifier.VerifyAsync(source.Root, options.Parallelism, n => Interlocked.Add(ref hashed, n), cancellationToken).ConfigureAwait(false);
        if (report.Intact)
        {
            log.Info($"Backup verified: {report.FilesChecked} files, {report.BytesChecked / (1024.0 * 1024.0):0.0} MiB");
            return;
        }

        var shown = report.Problems.Take(20).Select(p => "  - " + p);
        var more = report.Problems.Count > 20 ? $"\n  ... and {report.Problems.Count - 20} more" : "";
        var state = beforeAnyChange ? "Nothing on the node was changed." : "The restore stopped before its next stage.";
        throw new RestoreFailedException(
            $"The backup in {options.BackupDir} is damaged ({report.Problems.Count} problem(s)); refusing to restore from it. {state}\n" +
            string.Join("\n", shown) + more +
            "\nRun 'talm recovery verify --dir " + options.BackupDir + (source.IsCurrent ? "" : " --generation " + source.Generation) + "' for the full list; restore from an intact copy of the backup.");
    }
}
