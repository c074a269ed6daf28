using System.Diagnostics;
using System.Globalization;
using Talm.Recovery.Processes;

namespace Talm.Sandbox.Pods;

/// <summary>
/// A sandbox host brought up as a node: a network namespace of its own holding the node's IP (on its
/// loopback; the machine's network never sees it), and the node's etcd running in it as OpenShift's static
/// pod runs it: TLS with client-certificate authentication on every address of the node, with the
/// certificates the host keeps under <c>static-pod-resources/etcd-certs</c>, over the host's
/// <c>/var/lib/etcd</c>. Pods reach it only through the node's IP (see <see cref="PodSandbox"/>).
/// </summary>
public sealed class SandboxNode : IAsyncDisposable
{
    private readonly ProcessRunner _runner = new(environment: new Dictionary<string, string?> { ["ETCDCTL_API"] = "3" });
    private Process? _etcd;
    private int _podSubnets;

    private SandboxNode(string hostRoot, SandboxSeed seed, NetworkNamespace network, string etcdLog)
    {
        HostRoot = hostRoot;
        Name = seed.NodeName;
        Ip = seed.NodeIp;
        Network = network;
        EtcdLog = etcdLog;
    }

    public string HostRoot { get; }

    public string Name { get; }

    public string Ip { get; }

    public NetworkNamespace Network { get; }

    public string EtcdLog { get; }

    /// <summary>The client URL the node's etcd advertises (OpenShift's ETCDCTL_ENDPOINTS).</summary>
    public Uri EtcdUrl => new($"https://{Ip}:2379");

    /// <summary>The pid of the node's etcd while it runs.</summary>
    public int? EtcdPid => _etcd is { HasExited: false } e ? e.Id : null;

    public string CaFile => Path.Join(HostRoot, EtcdCertificates.ServingCa);

    public string CertFile => Path.Join(HostRoot, EtcdCertificates.Peer(Name, "crt"));

    public string KeyFile => Path.Join(HostRoot, EtcdCertificates.Peer(Name, "key"));

    public static async Task<SandboxNode> StartAsync(string hostRoot, string etcdLog, CancellationToken cancellationToken = default)
    {
        hostRoot = Path.GetFullPath(hostRoot);
        var seed = SandboxHost.ReadSeed(hostRoot);
        var network = await NetworkNamespace.CreateAsync("node", new ProcessRunner(), cancellationToken).ConfigureAwait(false);
        var node = new SandboxNode(hostRoot, seed, network, etcdLog);
        try
        {
            await network.IpAsync(cancellationToken, "addr", "add", seed.NodeIp + "/32", "dev", "lo").ConfigureAwait(false);
            await node.StartEtcdAsync(cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the node's etcd (again, after <see cref="StopEtcdAsync"/>) and waits until it answers over TLS.</summary>
    public async Task StartEtcdAsync(CancellationToken cancellationToken = default)
    {
        if (EtcdPid is not null)
        {
            return;
        }

        var peer = $"https://{Ip}:2380";
        var info = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in (string[])[
            "--net=" + Network.Path, "--", "etcd",
            "--name", Name, "--data-dir", Path.Join(HostRoot, "var/lib/etcd"),
            "--listen-client-urls", "https://0.0.0.0:2379", "--advertise-client-urls", EtcdUrl.ToString().TrimEnd('/'),
            "--listen-peer-urls", "https://0.0.0.0:2380", "--initial-advertise-peer-urls", peer, "--initial-cluster", $"{Name}={peer}",
            "--cert-file", Path.Join(HostRoot, EtcdCertificates.Serving(Name, "crt")), "--key-file", Path.Join(HostRoot, EtcdCertificates.Serving(Name, "key")),
            "--trusted-ca-file", CaFile, "--client-cert-auth",
            "--peer-cert-file", CertFile, "--peer-key-file", KeyFile,
            "--peer-trusted-ca-file", Path.Join(HostRoot, EtcdCertificates.PeerClientCa), "--peer-client-cert-auth",
            "--logger", "zap", "--log-outputs", EtcdLog])
        {
            info.ArgumentList.Add(arg);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(EtcdLog))!);
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start etcd; install etcd-server (scripts/setup.sh)");
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _etcd = process;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                await StopEtcdAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"the etcd of sandbox node {Name} did not become healthy on {EtcdUrl}; see {EtcdLog}");
            }

            if ((await EtcdctlAsync(cancellationToken, "endpoint", "health", "--command-timeout=1s").ConfigureAwait(false)).Succeeded)
            {
                return;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the node's etcd (as a reboot, or a failed etcd, would).</summary>
    public async Task StopEtcdAsync()
    {
        if (_etcd is not { } etcd)
        {
            return;
        }

        if (!etcd.HasExited)
        {
            etcd.Kill(entireProcessTree: true);
            await etcd.WaitForExitAsync().ConfigureAwait(false);
        }

        etcd.Dispose();
        _etcd = null;
    }

    /// <summary>Runs <c>etcdctl</c> (this machine's) on the node's network against its etcd, with its client certificate.</summary>
    public Task<ProcessResult> EtcdctlAsync(CancellationToken cancellationToken, params string[] args) =>
        _runner.TryRunAsync("nsenter", [
            "--net=" + Network.Path, "--", "etcdctl", "--endpoints", EtcdUrl.ToString().TrimEnd('/'),
            "--cacert", CaFile, "--cert", CertFile, "--key", KeyFile, .. args], cancellationToken);

    /// <summary>A fresh /24 for the next pod's veth pair: 10.128.K.0.</summary>
    internal int NextPodSubnet() => (Interlocked.Increment(ref _podSubnets) % 250) + 1;

    public async ValueTask DisposeAsync()
    {
        await StopEtcdAsync().ConfigureAwait(false);
        await Network.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"node {Name} ({Ip}, {Network.Name})");
}
