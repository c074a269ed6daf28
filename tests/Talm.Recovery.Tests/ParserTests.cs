using Talm.Recovery.Backup;
using Talm.Recovery.Host;
using Talm.Recovery.Ostree;

namespace Talm.Recovery.Tests;

public sealed class ParserTests
{
    private const string Status = """
        * rhcos 0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.0
            Version: 417.94.202411201442-0
            origin refspec: rhcos/417
          rhcos 1111222233334444555566667777888899990000111122223333444455556666.1 (rollback)
            Version: 416.94.202410211619-0
            Pinned: yes
            origin refspec: rhcos/416
          rhcos ffffeeeeddddccccbbbbaaaa9999888877776666555544443333222211110000.0 (staged) (pending)
            Version: 418.0
        """;

    [Fact]
    public void Ostree_status_gives_deployments_in_order_with_their_markers()
    {
        var deployments = OstreeStatusParser.Parse(Status);

        Assert.Equal(3, deployments.Count);
        Assert.Equal([0, 1, 2], deployments.Select(d => d.Index));
        Assert.True(deployments[0].Booted);
        Assert.False(deployments[0].Pinned);
        Assert.Equal("417.94.202411201442-0", deployments[0].Version);
        Assert.Equal("rhcos", deployments[1].OsName);
        Assert.Equal(1, deployments[1].Serial);
        Assert.True(deployments[1].Rollback);
        Assert.True(deployments[1].Pinned);
        Assert.False(deployments[1].Booted);
        Assert.True(deployments[2].Staged);
        Assert.True(deployments[2].Pending);
        Assert.Equal("418.0", deployments[2].Version);
    }

    [Fact]
    public void Ostree_status_without_deployments_is_empty() =>
        Assert.Empty(OstreeStatusParser.Parse("No deployments.\n"));

    private const string EtcdEnv = """
        export ALL_ETCD_ENDPOINTS="https://192.168.126.10:2379"
        export ETCDCTL_API="3"
        export ETCDCTL_CACERT="/etc/kubernetes/static-pod-certs/configmaps/etcd-serving-ca/ca-bundle.crt"
        export ETCDCTL_CERT="/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-peer-NODE_NAME.crt"
        export ETCDCTL_ENDPOINTS="https://192.168.126.10:2379"
        export ETCDCTL_KEY="/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-peer-NODE_NAME.key"
        export ETCD_IMAGE="quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0123"
        export NODE_sno_1_lab_ETCD_NAME="sno-1.lab"
        export NODE_sno_1_lab_ETCD_URL_HOST="192.168.126.10"
        export NODE_sno_1_lab_IP="192.168.126.10"
        """;

    private const string EtcdPod = """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: etcd
            command: ["/bin/sh", "-c", "exec etcd --advertise-client-urls=https://${NODE_sno_1_lab_IP}:2379 --listen-client-urls=https://0.0.0.0:2379,unixs://${NODE_sno_1_lab_IP}:0"]
            env:
            - name: "NODE_sno_1_lab_ETCD_NAME"
              value: "sno-1.lab"
            - name: "NODE_sno_1_lab_IP"
              value: "192.168.126.10"
        """;

    [Fact]
    public void Etcd_is_found_on_the_node_ip_with_the_certificates_as_openshift_lays_them_out()
    {
        using var dir = new TempHostRoot();
        var host = dir.Host;
        dir.Write(host.EtcdScriptsEnv, EtcdEnv);
        dir.Write(Path.Combine(host.Manifests, "etcd-pod.yaml"), EtcdPod);
        var secrets = Path.Combine(host.EtcdCerts, "secrets/etcd-all-certs");
        dir.Write(Path.Combine(secrets, "etcd-peer-sno-1.lab.crt"), "c");
        dir.Write(Path.Combine(secrets, "etcd-peer-sno-1.lab.key"), "k");
        dir.Write(Path.Combine(secrets, "etcd-serving-sno-1.lab.crt"), "s");
        dir.Write(Path.Combine(host.EtcdCerts, "configmaps/etcd-serving-ca/ca-bundle.crt"), "ca");

        foreach (var shares in new bool?[] { false, null, true })
        {
            var found = EtcdEndpointDiscovery.Discover(host, shares);
            Assert.Equal(new Uri("https://192.168.126.10:2379"), found.Connection.Endpoint);
            Assert.Contains("ETCDCTL_ENDPOINTS in", found.Source, StringComparison.Ordinal);
            Assert.Equal(Path.Combine(secrets, "etcd-peer-sno-1.lab.crt"), found.Connection.CertFile);
            Assert.Equal(Path.Combine(secrets, "etcd-peer-sno-1.lab.key"), found.Connection.KeyFile);
            Assert.Equal(Path.Combine(host.EtcdCerts, "configmaps/etcd-serving-ca/ca-bundle.crt"), found.Connection.CaCertFile);
        }

        // Without etcd.env, the static pod's environment gives the same node IP.
        File.Delete(host.EtcdScriptsEnv);
        var fromPod = EtcdEndpointDiscovery.Discover(host, false);
        Assert.Equal(new Uri("https://192.168.126.10:2379"), fromPod.Connection.Endpoint);
        Assert.Contains("--advertise-client-urls", fromPod.Source, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(secrets, "etcd-peer-sno-1.lab.crt"), fromPod.Connection.CertFile);
    }

    [Fact]
    public void A_loopback_etcd_url_is_refused_outside_the_node_network_and_certificates_must_exist()
    {
        using var dir = new TempHostRoot();
        var host = dir.Host;
        dir.Write(Path.Combine(host.Manifests, "etcd-pod.yaml"), "command: [\"etcd --listen-client-urls=https://localhost:2379 --x\"]");

        foreach (var shares in new bool?[] { false, null })
        {
            var refused = Assert.Throws<Etcd.EtcdException>(() => EtcdEndpointDiscovery.Discover(host, shares));
            Assert.Contains("https://localhost:2379/", refused.Message, StringComparison.Ordinal);
            Assert.Contains("loopback", refused.Message, StringComparison.Ordinal);
            Assert.Contains("--etcd-endpoint", refused.Message, StringComparison.Ordinal);
        }

        // In the node's own network (by hand on the node) loopback is the node; certificates are still required.
        Assert.Throws<FileNotFoundException>(() => EtcdEndpointDiscovery.Discover(host, true));
        var secrets = Path.Combine(host.EtcdCerts, "secrets/etcd-all-certs");
        dir.Write(Path.Combine(secrets, "etcd-peer-sno.crt"), "c");
        dir.Write(Path.Combine(secrets, "etcd-peer-sno.key"), "k");
        dir.Write(Path.Combine(host.EtcdCerts, "configmaps/etcd-serving-ca/ca-bundle.crt"), "ca");
        var found = EtcdEndpointDiscovery.Discover(host, true);
        Assert.Equal(new Uri("https://localhost:2379"), found.Connection.Endpoint);
        Assert.Equal(Path.Combine(secrets, "etcd-peer-sno.crt"), found.Connection.CertFile);
    }

    [Fact]
    public void Mount_points_are_read_from_mountinfo_with_their_escapes()
    {
        var table = Platform.MountTable.Parse("""
            22 27 0:21 / /proc rw,relatime - proc proc rw
            30 27 0:40 / /host rw - tmpfs host rw
            31 30 253:0 /etc /host/etc rw - xfs /dev/vda4 rw
            32 30 253:0 /var/lib /host/var/lib rw - xfs /dev/vda4 rw
            33 30 253:0 /srv/a\040b /host/srv/a\040b ro - xfs /dev/vda4 rw
            """);

        Assert.True(table.IsMountPoint("/host"));
        Assert.True(table.IsMountPoint("/host/srv/a b"));
        Assert.True(table.HasMountsBelow("/host"));
        Assert.False(table.HasMountsBelow("/host/etc"));
        Assert.True(table.IsUnderMountBelow("/host", "/host/var/lib/etcd/member"));
        Assert.True(table.IsUnderMountBelow("/host", "/host/etc"));
        Assert.False(table.IsUnderMountBelow("/host", "/host/var/recovery"));
        Assert.False(table.IsUnderMountBelow("/host", "/host/var/libx"));
        Assert.Null(Platform.NetworkNamespaces.SharesNetworkWithNode("/nonexistent"));
    }

    [Fact]
    public async Task The_node_network_is_shared_only_when_the_nodes_first_process_is_in_ours()
    {
        using var dir = new TempHostRoot();
        var proc = Path.Combine(dir.Host.Root, "proc");
        Directory.CreateDirectory(Path.Combine(proc, "1", "ns"));
        var own = (await new Processes.ProcessRunner().RunAsync("readlink", [$"/proc/{Environment.ProcessId}/ns/net"])).StandardOutput.Trim();
        Assert.StartsWith("net:[", own, StringComparison.Ordinal);

        // The node's procfs names pid 1's namespace as a link text: the same as ours (host network) or another (pod network).
        File.CreateSymbolicLink(Path.Combine(proc, "1", "ns", "net"), own);
        Assert.True(Platform.NetworkNamespaces.SharesNetworkWithNode(proc));
        File.Delete(Path.Combine(proc, "1", "ns", "net"));
        File.CreateSymbolicLink(Path.Combine(proc, "1", "ns", "net"), "net:[1]");
        Assert.False(Platform.NetworkNamespaces.SharesNetworkWithNode(proc));
    }

    [Fact]
    public void Etcd_env_values_are_unquoted_as_go_quotes_them()
    {
        var env = Etcd.EtcdScriptsEnv.Parse("# comment\nexport A=\"x \\\"y\\\" \\\\z\"\nB=plain\nexport C='single'\n\nnot a line\n");
        Assert.Equal("x \"y\" \\z", env["A"]);
        Assert.Equal("plain", env["B"]);
        Assert.Equal("single", env["C"]);
        Assert.Equal(3, env.Count);
    }

    [Fact]
    public void Static_pod_revision_comes_from_the_manifest_and_must_exist()
    {
        var root = Directory.CreateTempSubdirectory("talm-rev-").FullName;
        try
        {
            var host = new HostPaths(root);
            Directory.CreateDirectory(host.Manifests);
            File.WriteAllText(Path.Combine(host.Manifests, "kube-apiserver-pod.yaml"), "path: /etc/kubernetes/static-pod-resources/kube-apiserver-pod-7\n");
            Assert.Throws<InvalidDataException>(() => StaticPodRevisions.CurrentRevisionDirs(host));
            Directory.CreateDirectory(Path.Combine(host.StaticPodResources, "kube-apiserver-pod-7"));
            Assert.Equal(["static-pod-resources/kube-apiserver-pod-7"], StaticPodRevisions.CurrentRevisionDirs(host));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

/// <summary>An empty directory standing for a host root.</summary>
internal sealed class TempHostRoot : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("talm-disc-").FullName;

    public HostPaths Host => new(_root);

    public void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
