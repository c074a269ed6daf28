using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Platform;
using Talm.Recovery.Processes;

namespace Talm.Sandbox;

/// <summary>
/// Builds a host tree shaped like a single-node OpenShift's (docs/spoke.md): /etc with static pod
/// manifests and revisions, tmpfiles rules, the machine-config current config and the files it
/// manages (some outside /etc), /usr/local/bin, /var/lib/kubelet with pods' volumes, symlinks, hard
/// links and xattrs; a real ostree sysroot with two deployments; a real etcd data directory seeded
/// through a real etcd; and a podman image in use in the host's container storage.
/// </summary>
public sealed partial class SandboxHost
{
    private readonly string _root;
    private readonly SandboxProfile _profile;
    private readonly Random _random;
    private readonly int _seed;
    private readonly ProcessRunner _runner;
    private readonly ILogger _logger;

    public SandboxHost(string root, SandboxProfile profile, int seed, ILogger? logger = null)
    {
        _root = Path.GetFullPath(root);
        _profile = profile;
        _random = new Random(seed);
        _seed = seed;
        _logger = logger ?? NullLogger.Instance;
        _runner = new ProcessRunner(_logger);
    }

    public const string DefaultNodeName = "sno-sandbox";

    /// <summary>A private address, as SNO lab installs use; it exists only inside the node's network namespace (see <c>Pods.SandboxNode</c>).</summary>
    public const string DefaultNodeIp = "192.168.126.10";

    /// <summary>Machine-config files outside the three copied trees, all on the backup Job's volumes (/var/lib, /var/tmp is not used by MCO).</summary>
    public static readonly IReadOnlyList<string> ExtraPaths = ["/var/lib/mco/kubelet-tuning.conf", "/var/lib/site/ntp-extra.conf", "/var/lib/site/bin/collect.sh"];

    /// <summary>What OpenShift's etcd operator writes for this node in etcd.env and the etcd pod's environment.</summary>
    private static IEnumerable<(string Name, string Value)> EtcdEnvironment(string node, string ip)
    {
        var safe = Talm.Recovery.Backup.EtcdEndpointDiscovery.EnvSafe(node);
        yield return ("ALL_ETCD_ENDPOINTS", $"https://{ip}:2379");
        yield return ("ETCDCTL_API", "3");
        yield return ("ETCDCTL_CACERT", "/etc/kubernetes/static-pod-certs/configmaps/etcd-serving-ca/ca-bundle.crt");
        yield return ("ETCDCTL_CERT", "/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-peer-NODE_NAME.crt");
        yield return ("ETCDCTL_ENDPOINTS", $"https://{ip}:2379");
        yield return ("ETCDCTL_KEY", "/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-peer-NODE_NAME.key");
        yield return ("ETCD_DATA_DIR", "/var/lib/etcd");
        yield return ("ETCD_IMAGE", "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:5a1e2f1b0c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7");
        yield return ($"NODE_{safe}_ETCD_NAME", node);
        yield return ($"NODE_{safe}_ETCD_URL_HOST", ip);
        yield return ($"NODE_{safe}_IP", ip);
    }

    public async Task<SandboxSeed> CreateAsync(CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(_root) && Directory.EnumerateFileSystemEntries(_root).Any())
        {
            throw new IOException($"{_root} is not empty; give make-host a new directory");
        }

        Directory.CreateDirectory(_root);
        _logger.LogInformation("Making a {Profile} host in {Root}", _profile.Name, _root);
        WriteEtc();
        WriteEtcdNode();
        WriteExtras();
        WriteUsrLocal();
        WriteKubelet();
        WriteJobHostPaths();
        await MakeSysrootAsync(cancellationToken).ConfigureAwait(false);
        var seed = await SeedEtcdAsync(cancellationToken).ConfigureAwait(false);
        var image = await MakeImageAsync(cancellationToken).ConfigureAwait(false);
        seed = seed with { Image = image, NodeName = DefaultNodeName, NodeIp = DefaultNodeIp };
        await File.WriteAllTextAsync(Path.Combine(_root, SandboxSeed.FileName), JsonSerializer.Serialize(seed), cancellationToken).ConfigureAwait(false);
        return seed;
    }

    public static SandboxSeed ReadSeed(string root) =>
        JsonSerializer.Deserialize<SandboxSeed>(File.ReadAllText(Path.Combine(root, SandboxSeed.FileName)))
        ?? throw new InvalidDataException($"{root}/{SandboxSeed.FileName} is empty");

    /// <summary>Removes a sandbox host, including ostree deployments (which ostree makes immutable).</summary>
    public static void Delete(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        // ostree marks each deployment's root directory immutable; lift that on exactly those.
        var deploy = Path.Combine(root, "sysroot", "ostree", "deploy");
        var deployments = Directory.Exists(deploy)
            ? Directory.GetDirectories(deploy).SelectMany(os => Directory.Exists(Path.Combine(os, "deploy")) ? Directory.GetDirectories(Path.Combine(os, "deploy")) : []).ToList()
            : [];
        if (deployments.Count > 0)
        {
            using var chattr = System.Diagnostics.Process.Start("chattr", ["-i", .. deployments]);
            chattr?.WaitForExit();
        }

        PodmanRunRoot.RemoveFor(root);
        Directory.Delete(root, recursive: true);
    }

    private string P(string hostPath) => Path.Join(_root, hostPath.TrimStart('/'));

    private void Write(string hostPath, byte[] content, int mode = FileModes.Readable, int uid = 0, int gid = 0)
    {
        var path = P(hostPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        Posix.Chmod(path, mode);
        if (uid != 0 || gid != 0)
        {
            Posix.LChown(path, uid, gid);
        }
    }

    private void WriteText(string hostPath, string text, int mode = FileModes.Readable) => Write(hostPath, Encoding.UTF8.GetBytes(text), mode);

    private byte[] Bytes(int size)
    {
        var buffer = new byte[size];
        _random.NextBytes(buffer);
        return buffer;
    }

    // Text-like content: configs and certs compress, as on a real host.
    private byte[] TextBytes(int size)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n  :-";
        var buffer = new byte[size];
        for (var i = 0; i < size; i++)
        {
            buffer[i] = (byte)alphabet[_random.Next(alphabet.Length)];
        }

        return buffer;
    }

    private int SmallSize() => _random.Next(100) switch
    {
        < 60 => _random.Next(200, 2_000),
        < 90 => _random.Next(2_000, 12_000),
        _ => _random.Next(12_000, 64_000),
    };

    /// <summary>
    /// The ostree layout of an RHCOS node: the physical root on <c>/sysroot</c> (repository and deployments),
    /// the bootloader entries on the boot partition at <c>/boot</c> (so <c>/sysroot/boot</c> stays empty), and
    /// the root's link <c>/ostree -> sysroot/ostree</c>. ostree is pointed at the host root, as on the node.
    /// </summary>
    private async Task MakeSysrootAsync(CancellationToken cancellationToken)
    {
        var sysroot = P("/sysroot");
        var root = P("/");
        Directory.CreateDirectory(sysroot);
        Directory.CreateDirectory(P("/boot"));
        await _runner.RunAsync("ostree", ["admin", "init-fs", sysroot], cancellationToken).ConfigureAwait(false);
        File.CreateSymbolicLink(P("/ostree"), "sysroot/ostree");
        await _runner.RunAsync("ostree", ["admin", "os-init", "rhcos", "--sysroot=" + root], cancellationToken).ConfigureAwait(false);
        var tree = Directory.CreateTempSubdirectory("talm-ostree-tree-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(tree, "usr/lib/modules/5.14.0-427.el9.x86_64"));
            Directory.CreateDirectory(Path.Combine(tree, "usr/etc"));
            Directory.CreateDirectory(Path.Combine(tree, "usr/bin"));
            await File.WriteAllTextAsync(Path.Combine(tree, "usr/etc/os-release"), "ID=rhcos\nVERSION_ID=4.16\n", cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(tree, "usr/lib/modules/5.14.0-427.el9.x86_64/vmlinuz"), Bytes(4096), cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(tree, "usr/lib/modules/5.14.0-427.el9.x86_64/initramfs.img"), Bytes(4096), cancellationToken).ConfigureAwait(false);
            var repo = Path.Combine(sysroot, "ostree/repo");
            foreach (var version in (string[])["416.94.202410211619-0", "417.94.202411201442-0"])
            {
                await File.WriteAllTextAsync(Path.Combine(tree, "usr/bin/release"), version + "\n", cancellationToken).ConfigureAwait(false);
                await _runner.RunAsync("ostree", ["commit", "--repo=" + repo, "--branch=rhcos/" + version, "--tree=dir=" + tree, "--add-metadata-string=version=" + version, "--subject=" + version], cancellationToken).ConfigureAwait(false);
            }

            // Deploy the old one, then the new one: the new one is the default, the old one the rollback.
            await _runner.RunAsync("ostree", ["admin", "deploy", "--sysroot=" + root, "--os=rhcos", "rhcos/416.94.202410211619-0"], cancellationToken).ConfigureAwait(false);
            await _runner.RunAsync("ostree", ["admin", "deploy", "--sysroot=" + root, "--os=rhcos", "rhcos/417.94.202411201442-0"], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    private async Task<SandboxSeed> SeedEtcdAsync(CancellationToken cancellationToken)
    {
        var dataDir = P("/var/lib/etcd");
        Directory.CreateDirectory(Path.GetDirectoryName(dataDir)!);
        const string prefix = "/kubernetes.io/configmaps/";
        string sampleKey = "";
        string sampleSha = "";
        using (var etcd = await SandboxEtcd.StartAsync(dataDir, cancellationToken).ConfigureAwait(false))
        using (var client = new EtcdClient(etcd.Connection))
        {
            var values = new byte[_profile.EtcdKeys][];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = TextBytes(Math.Max(16, _random.Next(_profile.EtcdValueSize / 2, (_profile.EtcdValueSize * 3 / 2) + 1)));
            }

            await Parallel.ForEachAsync(Enumerable.Range(0, values.Length), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (i, ct) =>
                await client.PutAsync(Key(prefix, i), values[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
            var sample = values.Length / 2;
            sampleKey = Key(prefix, sample);
            sampleSha = Convert.ToHexStringLower(SHA256.HashData(values[sample]));
        }

        return new SandboxSeed { KeyPrefix = prefix, KeyCount = _profile.EtcdKeys, SampleKey = sampleKey, SampleValueSha256 = sampleSha, ExtraFiles = ExtraPaths };
    }

    private static string Key(string prefix, int i) => $"{prefix}ns-{i % 97:000}/cm-{i:000000}";

    private async Task<string?> MakeImageAsync(CancellationToken cancellationToken)
    {
        var storage = P("/var/lib/containers/storage");
        Directory.CreateDirectory(storage);
        var work = Directory.CreateTempSubdirectory("talm-image-").FullName;
        try
        {
            var rootfs = Path.Combine(work, "rootfs");
            Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
            await File.WriteAllTextAsync(Path.Combine(rootfs, "bin/pause"), "#!/bin/sh\nsleep infinity\n", cancellationToken).ConfigureAwait(false);
            var tarball = Path.Combine(work, "rootfs.tar");
            await _runner.RunAsync("tar", ["-C", rootfs, "-cf", tarball, "."], cancellationToken).ConfigureAwait(false);
            var runRoot = PodmanRunRoot.For(storage);
            Directory.CreateDirectory(runRoot);
            string[] common = ["--root", storage, "--runroot", runRoot, "--storage-driver", "vfs"];
            const string image = "localhost/sno/pause:4.16";
            await _runner.RunAsync("podman", [.. common, "import", tarball, image], cancellationToken).ConfigureAwait(false);
            await _runner.RunAsync("podman", [.. common, "create", "--name", "etcd-sidecar", image, "/bin/pause"], cancellationToken).ConfigureAwait(false);
            return image;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
