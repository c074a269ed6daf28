namespace Talm.Lab.Spokes;

/// <summary>Where a full-fidelity spoke keeps its things, under the lab's directory.</summary>
public sealed record SpokeDirectory(string Root)
{
    /// <summary>
    /// The sandbox host root (what a node's / is). Kept short, so that the paths in logs stay readable.
    /// </summary>
    public string Host => Path.Combine(Root, "h");

    /// <summary>Where the lab keeps spoke <paramref name="name"/>.</summary>
    public static SpokeDirectory Of(string labDir, string name) => new(Path.Combine(labDir, "s", name));

    public string Backup => Path.Combine(Host, "var", "recovery");

    public string EtcdData => Path.Combine(Host, "var", "lib", "etcd");

    public string EtcdLog => Path.Combine(Root, "etcd.log");

    /// <summary>The pid of the spoke node's etcd, while it runs.</summary>
    public string EtcdPid => Path.Combine(Root, "etcd.pid");

    /// <summary>Stand-ins for the node-only tools (systemctl, crictl, crio, setenforce, oc, rpm-ostree).</summary>
    public string NodeTools => Path.Combine(Root, "node-tools");

    /// <summary>The logs of the spoke's backup Job pods (what <c>oc logs</c> would show).</summary>
    public string PodLog => Path.Combine(Root, "pods.log");

    /// <summary>Everything the real tools printed for this spoke.</summary>
    public string Log => Path.Combine(Root, "spoke.log");

    /// <summary>etcd's keys (with value hashes) just before the upgrade touched them.</summary>
    public string PreUpgradeKeys => Path.Combine(Root, "pre-upgrade-etcd.json");

    /// <summary>"upgraded" or "broken" once the upgrade ran.</summary>
    public string UpgradeMarker => Path.Combine(Root, "upgrade-state");
}
