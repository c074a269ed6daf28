using Talm.Recovery.NodeTools;

namespace Talm.Recovery.Restore.Tests;

/// <summary>Runs the restore in-process against a sandbox node, as upgrade-recovery.sh would on the node.</summary>
public sealed class RestoreHarness(string host, string backupDir, string kubeconfigPath, StandIns standIns)
{
    public RestoreHarness(SandboxNode node)
        : this(node.Host, node.BackupDir, node.Kubeconfig, node.StandIns)
    {
    }

    public StringWriter Output { get; } = new();

    public EtcdRestoreMethod EtcdRestore { get; init; } = EtcdRestoreMethod.Etcdctl;

    /// <summary>--generation: the restore point to restore; null for the current backup (or the one a started restore recorded).</summary>
    public string? Generation { get; init; }

    public TimeSpan ContainerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan HeartbeatPeriod { get; init; } = NodeTools.Heartbeat.DefaultPeriod;

    public async Task<RestoreOutcome> RunAsync(bool resume = false, bool restart = false, bool step = false, bool force = false, string? kubeconfig = "")
    {
        var options = new RestoreOptions
        {
            HostRoot = host,
            BackupDir = backupDir,
            Generation = Generation,
            Resume = resume,
            Restart = restart,
            Step = step,
            Force = force,
            Kubeconfig = kubeconfig == "" ? kubeconfigPath : kubeconfig,
            ContainerTimeout = ContainerTimeout,
            HeartbeatPeriod = HeartbeatPeriod,
            EtcdRestore = EtcdRestore,
            RedeployTimeout = TimeSpan.FromSeconds(5),
            PollInterval = TimeSpan.FromMilliseconds(50),
            Parallelism = 2,
        };
        var tools = new NodeToolRunner(standIns.SearchPath, new Dictionary<string, string> { ["KUBECONFIG"] = options.Kubeconfig ?? "" });
        var log = new RecoveryLog(Output, Output, null, TimeProvider.System);
        return await new RestoreRunner(options, tools, log, TimeProvider.System).RunAsync(CancellationToken.None);
    }

    public Task<RestoreFailedException> FailsAsync(bool resume = false, bool restart = false, bool step = false, bool force = false, string? kubeconfig = "") =>
        Assert.ThrowsAsync<RestoreFailedException>(() => RunAsync(resume, restart, step, force, kubeconfig));
}
