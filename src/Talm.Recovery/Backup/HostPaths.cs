namespace Talm.Recovery.Backup;

/// <summary>Where things are on an SNO (spoke contract §1), under a host root (<c>/</c>, <c>/host</c> or a sandbox).</summary>
public sealed record HostPaths(string Root)
{
    public string Etc => Combine("etc");

    public string UsrLocal => Combine("usr/local");

    public string Kubelet => Combine("var/lib/kubelet");

    public string EtcdData => Combine("var/lib/etcd");

    public string EtcdDb => Combine("var/lib/etcd/member/snap/db");

    public string KubernetesDir => Combine("etc/kubernetes");

    public string Manifests => Combine("etc/kubernetes/manifests");

    public string StaticPodResources => Combine("etc/kubernetes/static-pod-resources");

    public string EtcdCerts => Combine("etc/kubernetes/static-pod-resources/etcd-certs");

    public string MachineConfig => Combine("etc/machine-config-daemon/currentconfig");

    public string TmpfilesDir => Combine("etc/tmpfiles.d");

    public string Sysroot => Combine("sysroot");

    public string ContainerStorage => Combine("var/lib/containers/storage");

    public string Hostname => Combine("etc/hostname");

    /// <summary>A host-absolute path (e.g. <c>/usr/lib/foo</c>) under the root.</summary>
    public string Combine(string hostPath) => Path.Join(Root, hostPath.TrimStart('/'));
}
