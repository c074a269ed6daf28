using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// A small SNO-like host tree with a real ostree sysroot (one pinned deployment) and a real etcd data
/// directory seeded with keys, plus its pre-upgrade backup in the TALM layout with a manifest.
/// </summary>
public sealed class SandboxNode : IDisposable
{
    public const string Timestamp = "2026-11-25_101500";
    private readonly TempDir _dir = new("talm-restore-node");

    public SandboxNode()
    {
        Host = _dir.Sub("host");
        BackupDir = _dir.Sub("recovery");
        StandIns = new StandIns(_dir.Path, Host);
        Kubeconfig = Path.Combine(_dir.Path, "kubeconfig");
        File.WriteAllText(Kubeconfig, "apiVersion: v1\nkind: Config\n");
        MakeHost();
        OstreeHost.Init(Host);
        PinnedChecksum = OstreeHost.CommitAndDeploy(Host, "4.14.1");
        OstreeHost.Pin(Host, 0);
        using (var etcd = EtcdServer.Start(EtcdData))
        {
            for (var i = 0; i < 40; i++)
            {
                etcd.Put($"/kubernetes.io/configmaps/ns{i % 4}/cm{i}", $"value-{i}");
            }

            etcd.Put("/kubernetes.io/secrets/openshift-etcd/etcd-client", "pre-upgrade-secret");
            PreUpgradeKeys = etcd.All();
            Directory.CreateDirectory(Path.Combine(_dir.Path, "snap"));
            etcd.SnapshotTo(Path.Combine(_dir.Path, "snap/snapshot.db"));
        }

        TakeBackup();
    }

    public string Host { get; }

    public string BackupDir { get; }

    public string Kubeconfig { get; }

    public StandIns StandIns { get; }

    public string PinnedChecksum { get; }

    public SortedDictionary<string, string> PreUpgradeKeys { get; }

    public string EtcdData => Path.Combine(Host, "var/lib/etcd");

    public string Root => _dir.Path;

    /// <summary>The committed generation's directory (what <c>current</c> points to).</summary>
    public string BackupRoot => new BackupDirectory(BackupDir).CurrentRoot()!;

    /// <summary>
    /// A stand-in for OpenShift's cluster-restore.sh on a single node (it cannot run here: it pulls the etcd
    /// image), doing what it does with the node's tools: it sources etcd.env, takes the newest snapshot of the
    /// directory it is given, checks it with the etcdctl of static-pod-resources/bin, stops the etcd static pod
    /// by moving its manifest to /home/core/assets/manifests-stopped, moves the data directory's member to
    /// /var/lib/etcd-backup (dropping an earlier one), restores the snapshot into a fresh /var/lib/etcd and
    /// puts the manifest back. Paths are under the node root it sits in (its own /usr/local/bin/..).
    /// </summary>
    public const string ClusterRestoreStandIn = """
        #!/bin/bash
        set -euo pipefail
        root="$(cd "$(dirname "$0")/../../.." && pwd)"
        echo "cluster-restore.sh $*" >> "$root/../state/calls.log"
        [ -d "$1" ] || { echo "Path to the directory containing backup files is required"; exit 1; }
        env_file="$root/etc/kubernetes/static-pod-resources/etcd-certs/configmaps/etcd-scripts/etcd.env"
        [ ! -f "$env_file" ] || source "$env_file"
        PATH="$PATH:$root/etc/kubernetes/static-pod-resources/bin"
        snapshot=$(ls -vd "$1"/snapshot*.db | tail -1)
        etcdctl snapshot status "$snapshot" -w json
        mkdir -p "$root/home/core/assets/manifests-stopped" "$root/var/lib/etcd-backup"
        mv "$root/etc/kubernetes/manifests/etcd-pod.yaml" "$root/home/core/assets/manifests-stopped/"
        rm -rf "$root/var/lib/etcd-backup/member"
        if [ -d "$root/var/lib/etcd/member" ]; then mv "$root/var/lib/etcd/member" "$root/var/lib/etcd-backup/"; fi
        rm -rf "$root/var/lib/etcd"
        echo "starting snapshot restore through etcdctl..."
        etcdctl snapshot restore "$snapshot" --data-dir="$root/var/lib/etcd"
        mv "$root/home/core/assets/manifests-stopped/etcd-pod.yaml" "$root/etc/kubernetes/manifests/etcd-pod.yaml"
        """;

    public static readonly string[] ExcludeLines = ["kubernetes/manifests", ".updated", "pki/ca-trust/extracted/tmpfiles-owned"];

    private void MakeHost()
    {
        Sh.Bash($$"""
            h='{{Host}}'
            mkdir -p "$h/etc/kubernetes/manifests" "$h/etc/tmpfiles.d" "$h/etc/ssh" "$h/etc/pki/ca-trust/extracted/tmpfiles-owned" "$h/etc/machine-config-daemon"
            for pod in etcd kube-apiserver kube-controller-manager kube-scheduler; do
              rev=3; [[ $pod == kube-apiserver ]] && rev=9
              for r in $((rev - 1)) $rev; do
                d="$h/etc/kubernetes/static-pod-resources/$pod-pod-$r"
                mkdir -p "$d/secrets/tls" "$d/configmaps/config"
                echo "revision $r of $pod" > "$d/configmaps/config/config.yaml"
                head -c 3000 /dev/urandom | base64 > "$d/secrets/tls/tls.key"; chmod 600 "$d/secrets/tls/tls.key"
                printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  labels:\n    revision: "%s"\nspec:\n  containers:\n  - command: ["etcd", "--name=sno-node", "--initial-advertise-peer-urls=https://192.0.2.10:2380"]\n' "$pod" "$r" > "$d/$pod-pod.yaml"
              done
              cp "$h/etc/kubernetes/static-pod-resources/$pod-pod-$rev/$pod-pod.yaml" "$h/etc/kubernetes/manifests/$pod-pod.yaml"
            done
            mkdir -p "$h/etc/kubernetes/static-pod-resources/bin"; ln -s /usr/bin/etcdctl "$h/etc/kubernetes/static-pod-resources/bin/etcdctl"
            echo 'd /etc/pki/ca-trust/extracted/tmpfiles-owned 0755 root root -' > "$h/etc/tmpfiles.d/ca.conf"
            echo 'runtime' > "$h/etc/pki/ca-trust/extracted/tmpfiles-owned/runtime.pem"
            echo 'Port 22' > "$h/etc/ssh/sshd_config"; chmod 600 "$h/etc/ssh/sshd_config"
            echo 'sno-node' > "$h/etc/hostname"
            echo '0123456789abcdef0123456789abcdef' > "$h/etc/machine-id"
            printf 'NAME="Red Hat Enterprise Linux CoreOS"\nID="rhcos"\nVERSION_ID="4.14"\n' > "$h/etc/os-release"
            echo 'stamp' > "$h/etc/.updated"
            echo '{"spec": {"config": {"storage": {"files": [{"path": "/var/lib/managed/node.conf"} ] } } } }' > "$h/etc/machine-config-daemon/currentconfig"
            ln -s ../hostname "$h/etc/ssh/hostname-link"
            echo 'labelled' > "$h/etc/labelled.conf"; setfattr -n user.selinux-like -v 'system_u:object_r:etc_t:s0' "$h/etc/labelled.conf"
            mkdir -p "$h/usr/local/bin" "$h/usr/local/share/doc"
            printf '#!/bin/sh\necho tool v1\n' > "$h/usr/local/bin/tool"; chmod 755 "$h/usr/local/bin/tool"
            cat > "$h/usr/local/bin/cluster-restore.sh" <<'SCRIPT'
            {{ClusterRestoreStandIn}}
            SCRIPT
            chmod 755 "$h/usr/local/bin/cluster-restore.sh"
            echo 'doc' > "$h/usr/local/share/doc/README"; ln "$h/usr/local/share/doc/README" "$h/usr/local/share/doc/README.hardlink"
            for p in 1 2 3; do
              v="$h/var/lib/kubelet/pods/pod-$p/volumes/kubernetes.io~configmap/cm"
              mkdir -p "$v"
              for i in $(seq 1 40); do echo "pod $p key $i" > "$v/key-$i"; done
              ln -s "..data/key-1" "$v/current"
            done
            head -c 300000 /dev/urandom > "$h/var/lib/kubelet/pods/pod-1/volumes/large.bin"
            echo '{}' > "$h/var/lib/kubelet/config.json"; chown 1000:1000 "$h/var/lib/kubelet/config.json"
            mkdir -p "$h/var/lib/managed"; echo 'managed v1' > "$h/var/lib/managed/node.conf"
            """);
    }

    /// <summary>A backup of the host in the TALM layout (generations/current as the backup engine commits it), manifest last.</summary>
    private void TakeBackup()
    {
        var generation = "20261125-101500-test";
        var root = new BackupDirectory(BackupDir).GenerationPath(generation);
        Directory.CreateDirectory(Path.Combine(root, "cluster"));
        var startedAt = DateTimeOffset.UtcNow;
        Thread.Sleep(20);
        File.Copy(Path.Combine(_dir.Path, "snap/snapshot.db"), Path.Combine(root, "cluster", BackupLayout.SnapshotFileName(Timestamp)));
        Sh.Bash($$"""
            h='{{Host}}'; b='{{root}}'
            cp -a "$h/etc" "$b/etc"; cp -a "$h/usr/local" "$b/local"; cp -a "$h/var/lib/kubelet" "$b/kubelet"
            tar -czpf "$b/cluster/{{BackupLayout.StaticPodResourcesFileName(Timestamp)}}" -C "$h/etc/kubernetes" static-pod-resources/etcd-pod-3 static-pod-resources/kube-apiserver-pod-9 static-pod-resources/kube-controller-manager-pod-3 static-pod-resources/kube-scheduler-pod-3
            chmod 600 "$b/cluster/{{BackupLayout.StaticPodResourcesFileName(Timestamp)}}"
            printf '%s\n' {{string.Join(' ', ExcludeLines.Select(l => $"'{l}'"))}} > "$b/etc.exclude.list"
            tar -czpf "$b/extras.tgz" -C "$h" var/lib/managed/node.conf
            printf '#!/bin/bash\nexit 0\n' > "$b/upgrade-recovery.sh"; chmod 700 "$b/upgrade-recovery.sh"
            """);
        var snapshot = Path.Combine(root, "cluster", BackupLayout.SnapshotFileName(Timestamp));
        var bytes = File.ReadAllBytes(snapshot);
        var entries = TreeFacts.Entries(root, "").Select(e => e with { Path = e.Path.TrimStart('/') })
            .Select(e => e.HardLinkTo is null ? e : e with { HardLinkTo = e.HardLinkTo.TrimStart('/') })
            .ToList();
        var manifest = new BackupManifest
        {
            ToolVersion = "test",
            Host = "sno-node",
            Node = NodeIdentity.Read(Host),
            StartedAt = startedAt,
            CompletedAt = DateTimeOffset.UtcNow,
            Timestamp = Timestamp,
            Etcd = new EtcdBackupInfo
            {
                SnapshotFile = "cluster/" + BackupLayout.SnapshotFileName(Timestamp),
                SnapshotDbSha256 = Convert.ToHexStringLower(bytes.AsSpan(bytes.Length - 32)),
                Revision = 42,
                StaticPodResourcesArchive = "cluster/" + BackupLayout.StaticPodResourcesFileName(Timestamp),
            },
            Ostree = new OstreeBackupInfo { Checksum = PinnedChecksum, Version = "4.14.1", OsName = "rhcos" },
            Entries = entries,
            Totals = new BackupTotals { Files = entries.Count(e => e.Kind == EntryKind.File), Bytes = entries.Sum(e => e.Size) },
        };
        ManifestStore.Write(root, manifest);
        new BackupDirectory(BackupDir).Commit(generation);
    }

    /// <summary>What a failed upgrade leaves: a new OS deployment, changed trees, changed etcd keys.</summary>
    public void SimulateUpgrade()
    {
        OstreeHost.CommitAndDeploy(Host, "4.15.0");
        Sh.Bash($$"""
            h='{{Host}}'
            echo 'Port 2222' > "$h/etc/ssh/sshd_config"
            echo 'new in 4.15' > "$h/etc/new-upgrade-file.conf"
            rm "$h/etc/hostname"
            chmod 644 "$h/etc/kubernetes/static-pod-resources/etcd-pod-3/secrets/tls/tls.key"
            setfattr -n user.selinux-like -v 'changed' "$h/etc/labelled.conf"
            for pod in etcd kube-apiserver; do
              d="$h/etc/kubernetes/static-pod-resources/$pod-pod-10"; mkdir -p "$d"; echo "revision 10" > "$d/$pod-pod.yaml"
              cp "$d/$pod-pod.yaml" "$h/etc/kubernetes/manifests/$pod-pod.yaml"
            done
            echo 'changed stamp' > "$h/etc/.updated"
            echo 'new runtime' > "$h/etc/pki/ca-trust/extracted/tmpfiles-owned/new.pem"
            printf '#!/bin/sh\necho tool v2\n' > "$h/usr/local/bin/tool"
            rm "$h/usr/local/share/doc/README.hardlink"; echo 'doc' > "$h/usr/local/share/doc/README.hardlink"
            echo extra > "$h/usr/local/bin/upgrade-helper"
            rm -r "$h/var/lib/kubelet/pods/pod-2"
            mkdir -p "$h/var/lib/kubelet/pods/pod-9"; echo new > "$h/var/lib/kubelet/pods/pod-9/file"
            echo 'pod 1 key 5 CHANGED' > "$h/var/lib/kubelet/pods/pod-1/volumes/kubernetes.io~configmap/cm/key-5"
            chown 0:0 "$h/var/lib/kubelet/config.json"
            echo 'managed v2' > "$h/var/lib/managed/node.conf"
            """);
        using var etcd = EtcdServer.Start(EtcdData);
        etcd.Put("/kubernetes.io/configmaps/ns0/cm0", "upgraded");
        etcd.Put("/kubernetes.io/configmaps/new/added-by-upgrade", "x");
        etcd.Delete("/kubernetes.io/configmaps/ns1/cm1");
    }

    public void Dispose() => _dir.Dispose();
}
