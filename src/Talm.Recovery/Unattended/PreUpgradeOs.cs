using Talm.Recovery.Host;
using Talm.Recovery.Manifest;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Restore;
using Talm.Recovery.Rollback;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Unattended;

/// <summary>
/// Before an unattended restore begins: the pre-upgrade OS put back when the upgrade changed it, and, on a live node
/// where that takes a reboot, everything that would make the restore refuse after the reboot checked first.
/// </summary>
internal sealed class PreUpgradeOs(RestoreOptions options, NodeToolRunner tools, RecoveryLog log, Func<HostPaths, IReadOnlyList<OstreeDeployment>> readDeployments, string programName)
{
    /// <summary>
    /// Rolls the OS back when the upgrade changed it. Returns the pinned deployment when the node runs it only after a
    /// reboot (a live node: each ostree deployment has its own /etc, where the unit must go); null when the node runs it
    /// already, or under a host root, where nothing is booted and the default deployment is the node's OS.
    /// </summary>
    public async Task<OstreeDeployment?> PrepareAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<OstreeDeployment> deployments;
        try
        {
            deployments = readDeployments(options.Host);
        }
        catch (OstreeException)
        {
            return null; // the restore's own pre-checks say what is wrong with the sysroot
        }

        var plan = RollbackPlanner.Plan(deployments);
        var active = deployments.FirstOrDefault(d => d.Booted) ?? deployments.FirstOrDefault();
        if (plan.Pinned is not { } pinned || (plan.Action == RollbackAction.None && active is { Pinned: true }))
        {
            return null;
        }

        var live = deployments.Any(d => d.Booted);
        if (live)
        {
            await CheckAsync(pinned, cancellationToken).ConfigureAwait(false);
        }

        if (plan.Action != RollbackAction.None)
        {
            log.Info($"The node's OS is not the pinned pre-upgrade deployment: rolling back first ({plan.Describe()})");
            try
            {
                await new PlatformRollback(tools, log).RunAsync(options.HostRoot, PlatformRollback.UsesRpmOstree(options.HostRoot, tools), reboot: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RollbackRefusedException or OstreeException or NodeToolException or IOException)
            {
                throw new RestoreFailedException($"The rollback failed: {e.Message}. The restore did not start.", e);
            }
        }

        return live ? pinned : null;
    }

    /// <summary>Before a rollback and a reboot: what would make the restore refuse after it, checked now.</summary>
    private async Task CheckAsync(OstreeDeployment pinned, CancellationToken cancellationToken)
    {
        const string unchanged = "Nothing on the node was changed.";
        if (string.IsNullOrWhiteSpace(options.Kubeconfig) || !File.Exists(options.Kubeconfig))
        {
            throw new RestoreFailedException("Please provide kubeconfig location in KUBECONFIG env variable");
        }

        var root = RestoreSource.Choose(options.BackupDir, options.Generation, started: false, programName).Root;
        BackupManifest manifest;
        try
        {
            manifest = ManifestStore.Read(root);
        }
        catch (InvalidDataException e)
        {
            throw new RestoreFailedException($"{e.Message}. {unchanged}");
        }

        _ = EtcdRestoreTool.Find(options.EtcdRestore, options.Host, tools.SearchPath);
        var origin = BackupOrigin.Compare(manifest, NodeIdentity.Read(options.HostRoot), pinned);
        if (origin.Mismatches.Count > 0)
        {
            throw new RestoreFailedException($"This backup is not of this node, or not of the OS it pinned:\n{string.Join("\n", origin.Mismatches.Select(m => "  - " + m))}\n{unchanged}");
        }

        log.Info($"Verifying the backup in {options.BackupDir} before the rollback and the reboot");
        var report = await BackupVerifier.VerifyAsync(root, options.Parallelism, null, cancellationToken).ConfigureAwait(false);
        if (!report.Intact)
        {
            throw new RestoreFailedException($"The backup in {options.BackupDir} is damaged ({report.Problems.Count} problem(s)), e.g. {report.Problems[0]}; refusing to roll back and restore. {unchanged} " +
                                             $"Run 'talm recovery verify --dir {options.BackupDir}' for the full list.");
        }
    }
}
