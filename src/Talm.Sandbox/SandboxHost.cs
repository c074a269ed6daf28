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

    private void Write(string hostPath, byte[] content, int mode = 0x1A4, int uid = 0, int gid = 0)
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

    private void WriteText(string hostPath, string text, int mode = 0x1A4) => Write(hostPath, Encoding.UTF8.GetBytes(text), mode);

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

    private void WriteEtc()
    {
        WriteText("/etc/hostname", DefaultNodeName + "\n");

        // Made once at install, as on a node; from the seed, not the random stream, so the rest of the host is as before.
        WriteText("/etc/machine-id", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"machine-id {_seed}")))[..32] + "\n", 0x124);
        WriteText("/etc/.updated", "# ostree /etc update marker\n");
        WriteText("/etc/os-release", "NAME=\"Red Hat Enterprise Linux CoreOS\"\nVERSION=\"416.94\"\nID=\"rhcos\"\n");
        for (var i = 0; i < _profile.EtcFiles; i++)
        {
            var dir = (i % 7) switch
            {
                0 => "/etc/pki/tls/certs",
                1 => "/etc/sysconfig",
                2 => "/etc/systemd/system/multi-user.target.wants",
                3 => "/etc/NetworkManager/system-connections",
                4 => "/etc/selinux/targeted/contexts/files",
                5 => "/etc/ssh",
                _ => $"/etc/misc/d{i % 40:00}",
            };
            var mode = i % 5 == 0 ? 0x180 : 0x1A4;
            Write($"{dir}/f{i:00000}.conf", TextBytes(SmallSize()), mode, uid: i % 23 == 0 ? 1000 : 0, gid: i % 23 == 0 ? 1000 : 0);
        }

        // Static pods: manifests name the revision they run; older revisions stay on disk.
        string[] components = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];
        foreach (var component in components)
        {
            for (var revision = 1; revision <= _profile.Revisions; revision++)
            {
                var dir = $"/etc/kubernetes/static-pod-resources/{component}-pod-{revision}";
                WriteText($"{dir}/{component}-pod.yaml", PodManifest(component, revision));
                for (var f = 0; f < _profile.FilesPerRevision; f++)
                {
                    var kind = f % 3 == 0 ? "secrets" : "configmaps";
                    Write($"{dir}/{kind}/{component}-{kind}-{f % 9}/item-{f:000}.{(kind == "secrets" ? "key" : "crt")}", TextBytes(SmallSize()), kind == "secrets" ? 0x180 : 0x1A4);
                }
            }

            WriteText($"/etc/kubernetes/manifests/{component}-pod.yaml", PodManifest(component, _profile.Revisions));
        }

        WriteText("/etc/kubernetes/static-pod-resources/bin/cluster-backup.sh", "#!/bin/sh\necho backup\n", 0x1ED);
        WriteText("/etc/kubernetes/kubelet-ca.crt", Pem("CERTIFICATE"));

        WriteText("/etc/tmpfiles.d/sno.conf",
            "# tmpfiles rules written by the machine config\n" +
            "d /etc/kubernetes/cni/net.d 0755 root root -\n" +
            "L /etc/resolv.conf - - - - /run/NetworkManager/resolv.conf\n" +
            "d /var/lib/sno-cache 0750 root root -\n" +
            "f /etc/sno-marker 0644 root root - ready\n");
        WriteText("/etc/tmpfiles.d/crio.conf", "d /etc/crio/crio.conf.d 0755 root root -\nd /run/crio 0755 root root -\n");

        var managed = new List<string> { "/etc/kubernetes/kubelet-ca.crt", "/etc/sysconfig/f00001.conf", "/usr/local/bin/configure-ovs.sh" };
        managed.AddRange(ExtraPaths);
        var config = new
        {
            kind = "MachineConfig",
            metadata = new { name = "rendered-master-" + _random.Next().ToString("x8", CultureInfo.InvariantCulture) },
            spec = new { config = new { ignition = new { version = "3.2.0" }, storage = new { files = managed.Select(p => new { path = p, mode = 420 }).ToArray() } } },
        };
        WriteText("/etc/machine-config-daemon/currentconfig", JsonSerializer.Serialize(config));

        // Links and attributes the copy must keep.
        Posix.Symlink("../usr/share/zoneinfo/UTC", P("/etc/localtime"));
        Posix.Symlink("pki/tls/certs", P("/etc/certs-link"));
        WriteText("/etc/pki/shared-a.pem", Pem("CERTIFICATE"));
        Posix.Link(P("/etc/pki/shared-a.pem"), P("/etc/ssh/shared-b.pem"));
        Posix.SetXattr(P("/etc/hostname"), "security.selinux", Encoding.ASCII.GetBytes("system_u:object_r:hostname_etc_t:s0\0"));
        Posix.SetXattr(P("/etc/ssh"), "user.talm.note", "directory attribute"u8);
        Posix.SetXattr(P("/etc/localtime"), "trusted.talm.link", "on a symlink"u8);
    }

    private string Pem(string kind) =>
        $"-----BEGIN {kind}-----\n{Convert.ToBase64String(Bytes(900), Base64FormattingOptions.InsertLineBreaks).Replace("\r", "", StringComparison.Ordinal)}\n-----END {kind}-----\n";

    /// <summary>
    /// The node paths the backup Job mounts as hostPath volumes that a kubelet checks before starting the pod
    /// (type Directory or Socket) and that the trees above do not already make: /boot, /dev/log (a socket, as
    /// journald's), /proc, /run (with RHCOS's /run/ostree-booted flag), /sys/fs/cgroup, /tmp, /usr/bin, /usr/lib,
    /// /usr/lib64, /usr/libexec, /usr/share/containers, /var/tmp.
    /// </summary>
    private void WriteJobHostPaths()
    {
        foreach (var dir in (string[])["/boot", "/proc", "/run", "/sys/fs/cgroup", "/tmp", "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/share/containers", "/var/tmp", "/var/recovery"])
        {
            Directory.CreateDirectory(P(dir));
        }

        WriteText("/run/ostree-booted", "");
        Directory.CreateDirectory(P("/dev"));
        SocketFile.Create(P("/dev/log"));
    }

    private void WriteExtras()
    {
        foreach (var path in ExtraPaths)
        {
            WriteText(path, $"# managed by the machine config: {path}\n" + Encoding.ASCII.GetString(TextBytes(SmallSize())), path.EndsWith(".sh", StringComparison.Ordinal) ? 0x1ED : 0x1A4);
        }
    }

    private void WriteUsrLocal()
    {
        WriteText("/usr/local/bin/configure-ovs.sh", "#!/bin/bash\nset -e\necho configure\n", 0x1ED);
        for (var i = 0; i < _profile.UsrLocalBinaries; i++)
        {
            Write($"/usr/local/bin/tool-{i}", Bytes(_profile.UsrLocalBinarySize), 0x1ED);
        }

        Write("/usr/local/bin/setuid-helper", Bytes(4096), 0x9ED); // 04755
        Directory.CreateDirectory(P("/usr/local/share/empty"));
        Posix.Symlink("tool-0", P("/usr/local/bin/tool"));
    }

    private void WriteKubelet()
    {
        WriteText("/var/lib/kubelet/config.json", "{\"auths\":{}}\n", 0x180);
        Write("/var/lib/kubelet/pki/kubelet-client-current.pem", TextBytes(3000), 0x180);
        for (var pod = 0; pod < _profile.Pods; pod++)
        {
            var uid = Guid.CreateVersion7().ToString();
            var podDir = $"/var/lib/kubelet/pods/{uid}";
            WriteText($"{podDir}/etc-hosts", "127.0.0.1 localhost\n");
            // configmap volume as the kubelet lays it out: a timestamped dir, ..data, and links to ..data.
            var volume = $"{podDir}/volumes/kubernetes.io~configmap/config";
            var stamp = "..2026_11_25_10_00_00." + _random.Next(1_000_000, 9_999_999).ToString(CultureInfo.InvariantCulture);
            var names = new List<string>();
            for (var f = 0; f < _profile.FilesPerPod; f++)
            {
                var name = $"key-{f:0000}";
                names.Add(name);
                Write($"{volume}/{stamp}/{name}", TextBytes(_random.Next(100, 8_000)), 0x1A4, uid: pod % 3 == 0 ? 1000 : 0, gid: pod % 3 == 0 ? 1000 : 0);
            }

            Posix.Symlink(stamp, P($"{volume}/..data"));
            foreach (var name in names.Take(20))
            {
                Posix.Symlink($"..data/{name}", P($"{volume}/{name}"));
            }

            Directory.CreateDirectory(P($"{podDir}/volumes/kubernetes.io~empty-dir/cache"));
        }

        var pods = Directory.GetDirectories(P("/var/lib/kubelet/pods")).Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < _profile.LargeFiles; i++)
        {
            var path = Path.Combine(pods[i % pods.Count], "volumes", "kubernetes.io~empty-dir", "cache", $"blob-{i}.bin");
            WriteLarge(path, _profile.LargeFileSize);
        }

        Posix.Link(Path.Combine(pods[0], "etc-hosts"), Path.Combine(pods[^1], "etc-hosts-shared"));
        Posix.SetXattr(Path.Combine(pods[0], "etc-hosts"), "security.selinux", Encoding.ASCII.GetBytes("system_u:object_r:container_file_t:s0:c1,c2\0"));
    }

    private void WriteLarge(string path, int size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        var buffer = new byte[4 << 20];
        for (long written = 0; written < size; written += buffer.Length)
        {
            _random.NextBytes(buffer);
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }
    }

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
        using (var etcd = await EtcdProcess.StartAsync(dataDir, cancellationToken).ConfigureAwait(false))
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
