namespace Talm.Recovery.Host;

/// <summary>
/// Where things are on an SNO (docs/spoke.md, "In the backup Job's pod"), under a host root (<c>/</c>, <c>/host</c>
/// or a sandbox): the one map of the host that backup, restore, rollback, verify and status go through, so no
/// other class joins a host path onto a root by itself.
/// </summary>
public sealed record HostPaths(string Root)
{
    /// <summary>The root is the running system itself (not <c>/host</c>, a mounted root or a sandbox): its tools act on it.</summary>
    public bool IsRunningSystem => Path.GetFullPath(Root) == "/";

    public string Etc => Combine("etc");

    public string UsrLocal => Combine("usr/local");

    public string Kubelet => Combine("var/lib/kubelet");

    /// <summary>The parent of etcd's data directory (the etcd tools are given a path: it is resolved beneath the root).</summary>
    public string VarLib => Combine("var/lib");

    public string EtcdData => Combine("var/lib/etcd");

    public string EtcdDb => Combine("var/lib/etcd/member/snap/db");

    public string KubernetesDir => Combine("etc/kubernetes");

    public string Manifests => Combine("etc/kubernetes/manifests");

    public string StaticPodResources => Combine("etc/kubernetes/static-pod-resources");

    public string EtcdCerts => Combine("etc/kubernetes/static-pod-resources/etcd-certs");

    /// <summary>The environment OpenShift's etcd scripts source (ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, NODE_&lt;node&gt;_IP...).</summary>
    public string EtcdScriptsEnv => Combine("etc/kubernetes/static-pod-resources/etcd-certs/configmaps/etcd-scripts/etcd.env");

    /// <summary>Where etcd's tools live on a node (OpenShift's dl_etcdctl puts etcdctl and etcdutl there; not on PATH).</summary>
    public string StaticPodBin => Combine("etc/kubernetes/static-pod-resources/bin");

    /// <summary>The node's procfs (the Job mounts it read-only at /host/proc).</summary>
    public string Proc => Combine("proc");

    /// <summary>OpenShift's restore script, which the etcd static pod copies to the node when it starts.</summary>
    public string ClusterRestoreScript => Combine("usr/local/bin/cluster-restore.sh");

    public string MachineConfig => Combine("etc/machine-config-daemon/currentconfig");

    public string TmpfilesDir => Combine("etc/tmpfiles.d");

    /// <summary>The physical root's mount, which RHCOS mounts read-only; ostree's repository and deployments live on it.</summary>
    public string Sysroot => Combine("sysroot");

    /// <summary>The boot partition, mounted on <c>/boot</c> apart from <c>/sysroot</c> on RHCOS; ostree's bootloader entries live on it.</summary>
    public string Boot => Combine("boot");

    /// <summary>
    /// What ostree is pointed at (<c>--sysroot</c>): the host root itself, seen as the node's own ostree sees it,
    /// with the boot partition on <c>boot/</c> and <c>ostree</c> linking into <c>sysroot/ostree</c>. Not
    /// <see cref="Sysroot"/>: on RHCOS <c>/sysroot/boot</c> is an empty directory, and ostree reads the deployment
    /// list from the bootloader entries, so pointed at <c>/sysroot</c> it finds no deployment at all.
    /// </summary>
    public string OstreeSysroot => Root;

    public string ContainerStorage => Combine("var/lib/containers/storage");

    public string Hostname => Combine("etc/hostname");

    /// <summary>A host-absolute path (e.g. <c>/usr/lib/foo</c>) under the root.</summary>
    public string Combine(string hostPath) => Path.Join(Root, hostPath.TrimStart('/'));
}
