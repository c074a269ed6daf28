using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Talm.Recovery.Platform;

namespace Talm.Sandbox;

/// <summary>The three trees a backup copies (/etc, /usr/local, /var/lib/kubelet) and the extras, filled as the profile says.</summary>
public sealed partial class SandboxHost
{
    private void WriteEtc()
    {
        WriteText("/etc/hostname", DefaultNodeName + "\n");

        // Made once at install, as on a node; from the seed, not the random stream, so the rest of the host is as before.
        WriteText("/etc/machine-id", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"machine-id {_seed}")))[..32] + "\n", FileModes.ReadOnly);
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
            var mode = i % 5 == 0 ? FileModes.OwnerReadWrite : FileModes.Readable;
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
                    Write($"{dir}/{kind}/{component}-{kind}-{f % 9}/item-{f:000}.{(kind == "secrets" ? "key" : "crt")}", TextBytes(SmallSize()), kind == "secrets" ? FileModes.OwnerReadWrite : FileModes.Readable);
                }
            }

            WriteText($"/etc/kubernetes/manifests/{component}-pod.yaml", PodManifest(component, _profile.Revisions));
        }

        WriteText("/etc/kubernetes/static-pod-resources/bin/cluster-backup.sh", "#!/bin/sh\necho backup\n", FileModes.Executable);
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
            WriteText(path, $"# managed by the machine config: {path}\n" + Encoding.ASCII.GetString(TextBytes(SmallSize())), path.EndsWith(".sh", StringComparison.Ordinal) ? FileModes.Executable : FileModes.Readable);
        }
    }

    private void WriteUsrLocal()
    {
        WriteText("/usr/local/bin/configure-ovs.sh", "#!/bin/bash\nset -e\necho configure\n", FileModes.Executable);
        for (var i = 0; i < _profile.UsrLocalBinaries; i++)
        {
            Write($"/usr/local/bin/tool-{i}", Bytes(_profile.UsrLocalBinarySize), FileModes.Executable);
        }

        Write("/usr/local/bin/setuid-helper", Bytes(4096), FileModes.SetUserIdExecutable);
        Directory.CreateDirectory(P("/usr/local/share/empty"));
        Posix.Symlink("tool-0", P("/usr/local/bin/tool"));
    }

    private void WriteKubelet()
    {
        WriteText("/var/lib/kubelet/config.json", "{\"auths\":{}}\n", FileModes.OwnerReadWrite);
        Write("/var/lib/kubelet/pki/kubelet-client-current.pem", TextBytes(3000), FileModes.OwnerReadWrite);
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
                Write($"{volume}/{stamp}/{name}", TextBytes(_random.Next(100, 8_000)), FileModes.Readable, uid: pod % 3 == 0 ? 1000 : 0, gid: pod % 3 == 0 ? 1000 : 0);
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
}
