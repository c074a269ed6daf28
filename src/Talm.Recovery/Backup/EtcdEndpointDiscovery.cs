using Talm.Recovery.Etcd;

namespace Talm.Recovery.Backup;

/// <summary>Finds the loopback client URL of the host's etcd from its static pod (see <see cref="EtcdPodManifest"/>), with the host's etcd client certificates.</summary>
public static class EtcdEndpointDiscovery
{
    public static EtcdConnection Discover(HostPaths host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var manifest = Path.Combine(host.Manifests, "etcd-pod.yaml");
        var endpoint = new Uri("https://localhost:2379");
        if (File.Exists(manifest))
        {
            if (EtcdPodManifest.Parse(File.ReadAllText(manifest)).Flag("--listen-client-urls") is { } listen)
            {
                var urls = listen.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null)
                    .OfType<Uri>()
                    .ToList();
                var loopback = urls.FirstOrDefault(u => u.IsLoopback || u.Host == "localhost");
                if (loopback is not null)
                {
                    endpoint = loopback;
                }
                else if (urls.Count > 0)
                {
                    endpoint = new UriBuilder(urls[0]) { Host = "localhost" }.Uri;
                }
            }
        }

        if (endpoint.Scheme != Uri.UriSchemeHttps)
        {
            return new EtcdConnection { Endpoint = endpoint };
        }

        var secrets = Path.Combine(host.EtcdCerts, "secrets", "etcd-all-certs");
        var ca = Path.Combine(host.EtcdCerts, "configmaps", "etcd-serving-ca", "ca-bundle.crt");
        var cert = Directory.Exists(secrets)
            ? Directory.EnumerateFiles(secrets, "etcd-peer-*.crt").Order(StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (cert is null || !File.Exists(Path.ChangeExtension(cert, ".key")) || !File.Exists(ca))
        {
            throw new FileNotFoundException($"cannot find etcd client certificates (etcd-peer-*.crt/.key in {secrets}, CA {ca}); pass --etcd-cacert, --etcd-cert and --etcd-key, or --etcd-endpoint");
        }

        return new EtcdConnection { Endpoint = endpoint, CaCertFile = ca, CertFile = cert, KeyFile = Path.ChangeExtension(cert, ".key") };
    }
}
