using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;

namespace Talm.Recovery.Tests;

/// <summary>
/// A small backup generation written by hand (no host, no etcd): a few trees, a snapshot with a valid
/// trailer, and a manifest that describes them exactly, so verify finds it intact. Tests then tamper
/// with the manifest the way an attacker who can rewrite the backup would ("reseal" it).
/// </summary>
public sealed class ManifestFixture : IDisposable
{
    public ManifestFixture()
    {
        Work = Directory.CreateTempSubdirectory("talm-manifest-").FullName;
        Root = Path.Combine(Work, "backup");
        Directory.CreateDirectory(Path.Combine(Root, "etc/ssh"));
        Directory.CreateDirectory(Path.Combine(Root, "cluster"));
        File.WriteAllText(Path.Combine(Root, "etc/hostname"), "sno-node\n");
        File.WriteAllText(Path.Combine(Root, "etc/ssh/sshd_config"), "Port 22\n");
        File.CreateSymbolicLink(Path.Combine(Root, "etc/localtime"), "/usr/share/zoneinfo/UTC");
        var db = new byte[1024];
        Encoding.UTF8.GetBytes("a tiny etcd database", db);
        File.WriteAllBytes(Path.Combine(Root, "cluster/snapshot_2026-11-25_101500.db"), [.. db, .. SHA256.HashData(db)]);
        File.WriteAllBytes(Path.Combine(Root, "cluster/static_kuberesources_2026-11-25_101500.tar.gz"), [0x1f, 0x8b]);
        Json = JsonNode.Parse(JsonSerializer.Serialize(Describe(Root), ManifestStore.Options))!.AsObject();
        Save();
    }

    public string Work { get; }

    /// <summary>The generation directory (holds manifest.json).</summary>
    public string Root { get; }

    /// <summary>The manifest as JSON, to be changed and <see cref="Save"/>d.</summary>
    public JsonObject Json { get; private set; }

    public JsonArray Entries => Json["entries"]!.AsArray();

    public void Save() => File.WriteAllText(Path.Combine(Root, BackupLayout.Manifest), Json.ToJsonString());

    public void SaveRaw(string text) => File.WriteAllText(Path.Combine(Root, BackupLayout.Manifest), text);

    /// <summary>Adds an entry describing the real file at <paramref name="file"/> under the name <paramref name="manifestPath"/>.</summary>
    public void AddFileEntry(string manifestPath, string file)
    {
        var entry = FileEntry(manifestPath, file);
        Entries.Add(JsonNode.Parse(JsonSerializer.Serialize(entry, ManifestStore.Options)));
        Save();
    }

    private static BackupManifest Describe(string root)
    {
        var entries = new List<ManifestEntry>();
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(root, path);
            var info = new FileInfo(path);
            var status = Platform.Posix.LStat(path);
            entries.Add(status.Kind switch
            {
                Platform.FileKind.Directory => new ManifestEntry { Path = rel, Kind = EntryKind.Directory, Mode = status.Permissions, Uid = status.Uid, Gid = status.Gid, MtimeNs = status.MtimeNs },
                Platform.FileKind.Symlink => new ManifestEntry { Path = rel, Kind = EntryKind.Symlink, Mode = 0x1FF, Uid = status.Uid, Gid = status.Gid, MtimeNs = status.MtimeNs, LinkTarget = info.LinkTarget },
                _ => FileEntry(rel, path),
            });
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var snapshot = File.ReadAllBytes(Path.Combine(root, "cluster/snapshot_2026-11-25_101500.db"));
        return new BackupManifest
        {
            ToolVersion = "test",
            Host = "sno-node",
            StartedAt = DateTimeOffset.UnixEpoch,
            CompletedAt = DateTimeOffset.UnixEpoch,
            Timestamp = "2026-11-25_101500",
            Etcd = new EtcdBackupInfo
            {
                SnapshotFile = "cluster/snapshot_2026-11-25_101500.db",
                SnapshotDbSha256 = Convert.ToHexStringLower(snapshot.AsSpan(snapshot.Length - 32)),
                Revision = 1,
                StaticPodResourcesArchive = "cluster/static_kuberesources_2026-11-25_101500.tar.gz",
            },
            Entries = entries,
            Totals = new BackupTotals { Files = entries.Count(e => e.Kind == EntryKind.File), Bytes = entries.Sum(e => e.Size) },
        };
    }

    private static ManifestEntry FileEntry(string manifestPath, string file)
    {
        var status = Platform.Posix.LStat(file);
        return new ManifestEntry
        {
            Path = manifestPath,
            Kind = EntryKind.File,
            Mode = status.Permissions,
            Uid = status.Uid,
            Gid = status.Gid,
            MtimeNs = status.MtimeNs,
            Size = status.Size,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))),
        };
    }

    public void Dispose() => Directory.Delete(Work, recursive: true);
}
