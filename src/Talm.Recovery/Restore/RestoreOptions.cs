using Talm.Recovery.Host;

namespace Talm.Recovery.Restore;

/// <summary>What <c>talm recovery restore</c> (and <c>upgrade-recovery.sh</c>) was asked to do.</summary>
public sealed record RestoreOptions
{
    /// <summary>The node's root: <c>/</c> on the node, a sandbox directory in tests.</summary>
    public required string HostRoot { get; init; }

    /// <summary>Where things are under <see cref="HostRoot"/>.</summary>
    public HostPaths Host => new(HostRoot);

    /// <summary>The backup directory (default <c>/var/recovery</c>); the progress file lives here.</summary>
    public required string BackupDir { get; init; }

    /// <summary>The restore point to restore (<c>--generation ID</c>); null: the current backup, or the one a started restore began from.</summary>
    public string? Generation { get; init; }

    public bool Resume { get; init; }

    public bool Restart { get; init; }

    /// <summary>Stop after each stage (and accept an already started restore, like --resume).</summary>
    public bool Step { get; init; }

    /// <summary>Turn the "active deployment not pinned" refusal into a warning.</summary>
    public bool Force { get; init; }

    /// <summary>The value of KUBECONFIG, passed in by the CLI.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>How the engineer started us, for the "run X --resume" messages.</summary>
    public string? InvokedAs { get; init; }

    public TimeSpan ContainerTimeout { get; init; } = TimeSpan.FromMinutes(20);

    public TimeSpan RedeployTimeout { get; init; } = TimeSpan.FromMinutes(20);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest silence while waiting (capped at 30 s).</summary>
    public TimeSpan HeartbeatPeriod { get; init; } = NodeTools.Heartbeat.DefaultPeriod;

    /// <summary>How etcd's snapshot is put back (see <see cref="EtcdRestoreTool"/>).</summary>
    public EtcdRestoreMethod EtcdRestore { get; init; } = EtcdRestoreMethod.Etcdctl;

    public int Parallelism { get; init; } = 8;

    /// <summary>Run by <c>--unattended</c>: the reboot after the first stage is taken care of, so no "please reboot" line.</summary>
    public bool Unattended { get; init; }
}
