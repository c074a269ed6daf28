using Talm.Recovery.Backup;
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

    [Fact]
    public void Etcd_endpoint_comes_from_the_static_pod_with_the_host_certificates()
    {
        var root = Directory.CreateTempSubdirectory("talm-disc-").FullName;
        try
        {
            var host = new HostPaths(root);
            Directory.CreateDirectory(host.Manifests);
            File.WriteAllText(Path.Combine(host.Manifests, "etcd-pod.yaml"), "command: [\"etcd --listen-client-urls=https://0.0.0.0:2379,https://localhost:2379 --x\"]");
            Assert.Throws<FileNotFoundException>(() => EtcdEndpointDiscovery.Discover(host));

            var secrets = Path.Combine(host.EtcdCerts, "secrets/etcd-all-certs");
            var ca = Path.Combine(host.EtcdCerts, "configmaps/etcd-serving-ca");
            Directory.CreateDirectory(secrets);
            Directory.CreateDirectory(ca);
            File.WriteAllText(Path.Combine(secrets, "etcd-peer-sno.crt"), "c");
            File.WriteAllText(Path.Combine(secrets, "etcd-peer-sno.key"), "k");
            File.WriteAllText(Path.Combine(ca, "ca-bundle.crt"), "ca");

            var connection = EtcdEndpointDiscovery.Discover(host);
            Assert.Equal(new Uri("https://localhost:2379"), connection.Endpoint);
            Assert.Equal(Path.Combine(secrets, "etcd-peer-sno.crt"), connection.CertFile);
            Assert.Equal(Path.Combine(secrets, "etcd-peer-sno.key"), connection.KeyFile);
            Assert.Equal(Path.Combine(ca, "ca-bundle.crt"), connection.CaCertFile);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
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
