using Microsoft.Extensions.Logging;
using Talm.Recovery.Host;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Ostree;

/// <summary>
/// The node's ostree, as backup, rollback, restore, status and the unattended restore reach it: the one entry to
/// this adapter. Two halves sit behind it and keep their jobs: the <c>ostree admin</c> CLI pins and undeploys, as an
/// administrator would on the node (<see cref="Cli"/>); libostree reads the deployment list and, for a rollback,
/// writes a new one under the sysroot lock (<see cref="Deployments"/>, <see cref="Open"/>).
/// </summary>
public sealed class NodeOstree(HostPaths host)
{
    /// <summary>What ostree is pointed at (<see cref="HostPaths.OstreeSysroot"/>).</summary>
    public string Sysroot => host.OstreeSysroot;

    /// <summary>The deployment list, through libostree; throws <see cref="OstreeException"/> when there is no sysroot to read.</summary>
    public IReadOnlyList<OstreeDeployment> Deployments()
    {
        using var sysroot = Open();
        return sysroot.Deployments();
    }

    /// <summary>The deployment the node runs: the booted one, or the default where nothing is booted (a host root off the node).</summary>
    public static OstreeDeployment? Active(IReadOnlyList<OstreeDeployment> deployments) =>
        deployments.FirstOrDefault(d => d.Booted) ?? deployments.FirstOrDefault();

    /// <summary>libostree's sysroot, loaded, for a caller that locks it and writes a new deployment list.</summary>
    public OstreeSysroot Open() => OstreeSysroot.Open(Sysroot);

    /// <summary>The <c>ostree admin</c> commands on this sysroot (<paramref name="ostreeCommand"/>: the program to run).</summary>
    public OstreeCli Cli(ProcessRunner runner, string ostreeCommand = "ostree") => new(runner, Sysroot, ostreeCommand);

    /// <summary>
    /// <c>/sysroot</c> and <c>/boot</c> made writable while the result is held, where RHCOS mounts them read-only
    /// (<see cref="OstreeWriteAccess"/>).
    /// </summary>
    public OstreeWriteAccess WriteAccess(ILogger logger) => OstreeWriteAccess.Acquire(host, logger);

    /// <summary>The <c>ostree -> sysroot/ostree</c> link a node has at its root, made where it is missing (<see cref="OstreeSysrootLink"/>).</summary>
    public void EnsureRepositoryLink(ILogger logger) => OstreeSysrootLink.Ensure(host, logger);
}
