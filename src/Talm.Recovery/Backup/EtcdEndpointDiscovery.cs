using Talm.Recovery.Etcd;
using Talm.Recovery.Host;

namespace Talm.Recovery.Backup;

/// <summary>
/// Finds the node's etcd the way OpenShift's own <c>cluster-backup.sh</c> does, from where the backup
/// Job runs: in a pod on the pod network, where <c>localhost</c> is the pod itself. The client URL is the
/// node's IP: <c>ETCDCTL_ENDPOINTS</c> in the etcd scripts' <c>etcd.env</c>, else the etcd static pod's
/// environment (its <c>ETCDCTL_ENDPOINTS</c>, <c>--advertise-client-urls</c>, <c>NODE_&lt;node&gt;_IP</c>).
/// A loopback URL is used only when this process shares the node's network namespace. The client
/// certificate is <c>ETCDCTL_CERT</c>/<c>_KEY</c>/<c>_CACERT</c> from the same places: paths under
/// <c>/etc/kubernetes/static-pod-certs</c> (the etcd pod's view) are read from
/// <c>static-pod-resources/etcd-certs</c> on the host, as <c>cluster-backup.sh</c> does, and the
/// <c>NODE_NAME</c> the operator leaves in <c>etcd.env</c> is this node's name.
/// </summary>
public static class EtcdEndpointDiscovery
{
    private const string PodCertDir = "/etc/kubernetes/static-pod-certs/";
    private const string NodeNamePlaceholder = "NODE_NAME";

    /// <param name="sharesNodeNetwork">Whether this process is in the node's network namespace; null when unknown (then: no).</param>
    public static DiscoveredEtcd Discover(HostPaths host, bool? sharesNodeNetwork)
    {
        ArgumentNullException.ThrowIfNull(host);
        var scripts = File.Exists(host.EtcdScriptsEnv) ? EtcdScriptsEnv.Parse(File.ReadAllText(host.EtcdScriptsEnv)) : new Dictionary<string, string>();
        var manifestPath = Path.Combine(host.Manifests, "etcd-pod.yaml");
        var pod = File.Exists(manifestPath) ? EtcdPodManifest.Parse(File.ReadAllText(manifestPath)) : null;
        var podEnv = pod?.Environment ?? new Dictionary<string, string>();
        var node = NodeName(host, podEnv, scripts);
        var nodeIp = node is null ? null : Value(podEnv, scripts, $"NODE_{EnvSafe(node)}_IP");

        var candidates = new List<(Uri Url, string Source)>();
        Add(candidates, Get(scripts, "ETCDCTL_ENDPOINTS"), "ETCDCTL_ENDPOINTS in " + host.EtcdScriptsEnv);
        Add(candidates, Get(podEnv, "ETCDCTL_ENDPOINTS"), "ETCDCTL_ENDPOINTS of the etcd container in " + manifestPath);
        Add(candidates, pod?.Flag("--advertise-client-urls"), "--advertise-client-urls in " + manifestPath);
        if (nodeIp is not null)
        {
            Add(candidates, $"https://{nodeIp}:2379", $"NODE_{EnvSafe(node!)}_IP");
        }

        if (pod?.Flag("--listen-client-urls") is { } listen)
        {
            // A wildcard listener is reached on the node's IP, or (from the node's own network) on loopback.
            Add(candidates, string.Join(',', listen.Split(',').Select(u => u.Replace("0.0.0.0", nodeIp ?? "localhost", StringComparison.Ordinal))), "--listen-client-urls in " + manifestPath);
        }

        Add(candidates, "https://localhost:2379", "the default client URL");
        var usable = candidates.Where(c => sharesNodeNetwork == true || !IsLoopback(c.Url)).ToList();
        if (usable.Count == 0)
        {
            var (url, source) = candidates[0];
            throw new EtcdException(
                $"the only etcd client URL found is {url} ({source}), a loopback address; this process does not run in the node's network namespace " +
                "(a pod on the pod network), where loopback is the pod itself. Pass the node's address with --etcd-endpoint https://<node-ip>:2379, " +
                $"or check {host.EtcdScriptsEnv} (ETCDCTL_ENDPOINTS)");
        }

        var chosen = usable.FirstOrDefault(c => nodeIp is not null && c.Url.Host == nodeIp.Trim('[', ']')) is { Url: not null } own ? own : usable[0];
        if (chosen.Url.Scheme != Uri.UriSchemeHttps)
        {
            return new DiscoveredEtcd(new EtcdConnection { Endpoint = chosen.Url }, chosen.Source);
        }

        var (ca, cert, key) = ClientFiles(host, scripts, podEnv, node);
        return new DiscoveredEtcd(new EtcdConnection { Endpoint = chosen.Url, CaCertFile = ca, CertFile = cert, KeyFile = key }, chosen.Source);
    }

    /// <summary>OpenShift's name for environment variables about a node: <c>-</c> and <c>.</c> become <c>_</c>.</summary>
    public static string EnvSafe(string nodeName) => nodeName.Replace('-', '_').Replace('.', '_');

    private static (string Ca, string Cert, string Key) ClientFiles(HostPaths host, IReadOnlyDictionary<string, string> scripts, IReadOnlyDictionary<string, string> podEnv, string? node)
    {
        var tried = new List<string>();
        foreach (var source in new[] { podEnv, scripts })
        {
            if (Get(source, "ETCDCTL_CACERT") is { } caValue && Get(source, "ETCDCTL_CERT") is { } certValue && Get(source, "ETCDCTL_KEY") is { } keyValue)
            {
                var files = (OnHost(host, caValue, node), OnHost(host, certValue, node), OnHost(host, keyValue, node));
                if (File.Exists(files.Item1) && File.Exists(files.Item2) && File.Exists(files.Item3))
                {
                    return files;
                }

                tried.Add($"{files.Item2} (ETCDCTL_CERT)");
            }
        }

        var secrets = Path.Combine(host.EtcdCerts, "secrets", "etcd-all-certs");
        var ca = Path.Combine(host.EtcdCerts, "configmaps", "etcd-serving-ca", "ca-bundle.crt");
        var peers = Directory.Exists(secrets) ? Directory.GetFiles(secrets, "etcd-peer-*.crt").Order(StringComparer.Ordinal).ToList() : [];
        var cert = node is not null && peers.Contains(Path.Combine(secrets, $"etcd-peer-{node}.crt")) ? Path.Combine(secrets, $"etcd-peer-{node}.crt")
            : peers.Count == 1 ? peers[0] : null;
        if (cert is not null && File.Exists(Path.ChangeExtension(cert, ".key")) && File.Exists(ca))
        {
            return (ca, cert, Path.ChangeExtension(cert, ".key"));
        }

        tried.Add($"etcd-peer-{node ?? "<node>"}.crt/.key in {secrets}, CA {ca}");
        throw new FileNotFoundException(
            $"cannot find etcd client certificates (tried {string.Join("; ", tried)}); pass --etcd-cacert, --etcd-cert and --etcd-key, or --etcd-endpoint");
    }

    /// <summary>A file named as the etcd pod or its scripts see it, on the host.</summary>
    private static string OnHost(HostPaths host, string path, string? node)
    {
        if (node is not null)
        {
            path = path.Replace(NodeNamePlaceholder, node, StringComparison.Ordinal);
        }

        return path.StartsWith(PodCertDir, StringComparison.Ordinal)
            ? Path.Join(host.EtcdCerts, path[PodCertDir.Length..])
            : host.Combine(path);
    }

    /// <summary>This node's name as the etcd operator knows it: the one node the environment names, else the one matching the host name.</summary>
    private static string? NodeName(HostPaths host, IReadOnlyDictionary<string, string> podEnv, IReadOnlyDictionary<string, string> scripts)
    {
        var names = podEnv.Concat(scripts)
            .Where(kv => kv.Key.StartsWith("NODE_", StringComparison.Ordinal) && kv.Key.EndsWith("_ETCD_NAME", StringComparison.Ordinal))
            .Select(kv => kv.Value)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (names.Count == 1)
        {
            return names[0];
        }

        var hostname = File.Exists(host.Hostname) ? File.ReadLines(host.Hostname).FirstOrDefault()?.Trim() : null;
        return string.IsNullOrEmpty(hostname) ? null : names.FirstOrDefault(n => n == hostname || n.StartsWith(hostname + ".", StringComparison.Ordinal)) ?? hostname;
    }

    private static string? Value(IReadOnlyDictionary<string, string> first, IReadOnlyDictionary<string, string> second, string name) =>
        Get(first, name) ?? Get(second, name);

    private static string? Get(IReadOnlyDictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static void Add(List<(Uri, string)> candidates, string? urls, string source)
    {
        foreach (var url in (urls ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
            {
                candidates.Add((uri, source));
            }
        }
    }

    private static bool IsLoopback(Uri url) => url.IsLoopback || url.Host == "localhost";
}

/// <summary>The node's etcd as found, and where the client URL came from (for the log).</summary>
public sealed record DiscoveredEtcd(EtcdConnection Connection, string Source);
