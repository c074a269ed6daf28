using Microsoft.Extensions.Logging;
using Talm.Recovery.Host;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Backup;

/// <summary>
/// The backup's only step that cannot be taken back: every ostree deployment but the active one is undeployed and the
/// active one pinned, so a failed upgrade can roll back to it. It remembers what it pinned, so that a backup failing
/// after it takes the pin back (the removed deployments cannot come back).
/// </summary>
internal sealed class DeploymentPin(ProcessRunner runner, HostPaths host, string ostreeProgram, ILogger logger)
{
    /// <summary>The deployment this backup pinned (it was not pinned before), or null.</summary>
    private string? _pinnedByUs;

    /// <summary>Pins the active deployment; null when the host has no ostree sysroot (nothing to pin).</summary>
    public async Task<OstreeBackupInfo?> PinAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(host.Sysroot, "ostree")))
        {
            logger.LogWarning("No ostree sysroot at {Sysroot}: the deployment is not pinned", host.Sysroot);
            return null;
        }

        var node = new NodeOstree(host);
        if (AlreadyPinnedAlone(node) is { } pinned)
        {
            logger.LogInformation("Pinned deployment {Deployment} ({Version})", pinned.Id, pinned.Version);
            return Info(pinned);
        }

        var ostree = node.Cli(runner, ostreeProgram);
        try
        {
            node.EnsureRepositoryLink(logger);
            using var writable = node.WriteAccess(logger);
            var deployments = await ostree.StatusAsync(cancellationToken).ConfigureAwait(false);
            var active = NodeOstree.Active(deployments)
                ?? throw new BackupException($"{BackupRunner.PinFailedMessage}: ostree lists no deployment in {host.OstreeSysroot} (its bootloader entries are read from {host.Boot})");
            var others = deployments.Where(d => d.Id != active.Id).OrderByDescending(d => d.Index).ToList();
            foreach (var other in others)
            {
                logger.LogInformation("Removing deployment {Deployment} ({Version})", other.Id, other.Version);
                await ostree.UndeployAsync(other, active.Id, cancellationToken).ConfigureAwait(false);
            }

            // Undeploying renumbers what remains: the pin needs the active deployment's index as it is now.
            var now = others.Count == 0 ? active : (await ostree.StatusAsync(cancellationToken).ConfigureAwait(false)).Single(d => d.Id == active.Id);
            if (!now.Pinned)
            {
                await ostree.PinAsync(now.Index, cancellationToken).ConfigureAwait(false);
                _pinnedByUs = active.Id;
            }

            logger.LogInformation("Pinned deployment {Deployment} ({Version})", active.Id, active.Version);
            return Info(active);
        }
        catch (Exception e) when (e is ProcessFailedException or InvalidOperationException or IOException)
        {
            throw new BackupException($"{BackupRunner.PinFailedMessage}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The deployment, when it is the only one and pinned already (every backup after the first): read in-process
    /// through libostree, so nothing is run and nothing remounted. Null when there is anything to do, or when
    /// libostree cannot read the sysroot here (the CLI then decides, as it always did).
    /// </summary>
    private OstreeDeployment? AlreadyPinnedAlone(NodeOstree node)
    {
        try
        {
            return node.Deployments() is [{ Pinned: true } only] ? only : null;
        }
        catch (Exception e) when (e is OstreeException or DllNotFoundException or EntryPointNotFoundException)
        {
            logger.LogDebug("libostree could not list the deployments ({Problem}); asking the ostree CLI", e.Message);
            return null;
        }
    }

    private static OstreeBackupInfo Info(OstreeDeployment deployment) =>
        new() { Checksum = deployment.Checksum, Version = deployment.Version, OsName = deployment.OsName, DeploySerial = deployment.Serial };

    /// <summary>A backup that fails after pinning takes its pin back; failing to is logged, not thrown (the backup's own failure is what matters).</summary>
    public async Task UndoAsync()
    {
        if (_pinnedByUs is not { } id)
        {
            return;
        }

        try
        {
            var node = new NodeOstree(host);
            var ostree = node.Cli(runner, ostreeProgram);
            using var writable = node.WriteAccess(logger);
            if ((await ostree.StatusAsync().ConfigureAwait(false)).FirstOrDefault(d => d.Id == id) is { Pinned: true } pinned)
            {
                await ostree.UnpinAsync(pinned.Index).ConfigureAwait(false);
                logger.LogWarning("The backup failed after pinning deployment {Deployment}: unpinned it again", id);
            }
        }
        catch (Exception e) when (e is ProcessFailedException or InvalidOperationException or IOException)
        {
            logger.LogWarning("The backup failed after pinning deployment {Deployment}, and unpinning it failed too: {Error}", id, e.Message);
        }
    }
}
