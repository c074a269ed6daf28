using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Backup;

/// <summary>Manifest entries for what the backup generated itself (cluster files, archives, images, the script).</summary>
public static class EntryDescriber
{
    /// <summary>Describes <paramref name="relative"/> under <paramref name="root"/> and, for a directory, everything below it.</summary>
    public static async Task<IReadOnlyList<ManifestEntry>> DescribeAsync(string root, string relative, IReadOnlyDictionary<string, string>? knownHashes, CancellationToken cancellationToken)
    {
        var result = new List<ManifestEntry>();
        var pending = new Stack<string>();
        pending.Push(relative);
        while (pending.Count > 0)
        {
            var rel = pending.Pop();
            var path = Path.Combine(root, rel);
            var status = Posix.LStat(path);
            var xattrs = Posix.GetXattrs(path);
            var entry = new ManifestEntry
            {
                Path = rel,
                Kind = status.Kind switch
                {
                    FileKind.Directory => EntryKind.Directory,
                    FileKind.Symlink => EntryKind.Symlink,
                    _ => EntryKind.File,
                },
                Mode = status.Kind == FileKind.Symlink ? FileModes.All : status.Permissions,
                Uid = status.Uid,
                Gid = status.Gid,
                MtimeNs = status.MtimeNs,
                Xattrs = xattrs.Count == 0 ? null : xattrs.ToDictionary(p => p.Key, p => Convert.ToBase64String(p.Value), StringComparer.Ordinal),
            };
            switch (status.Kind)
            {
                case FileKind.Directory:
                    foreach (var child in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
                    {
                        pending.Push(rel + "/" + Path.GetFileName(child));
                    }

                    break;
                case FileKind.Symlink:
                    entry = entry with { LinkTarget = new FileInfo(path).LinkTarget };
                    break;
                case FileKind.Regular:
                    var sha = knownHashes is not null && knownHashes.TryGetValue(rel, out var known)
                        ? known
                        : await BackupVerifier.HashFileAsync(path, null, cancellationToken).ConfigureAwait(false);
                    entry = entry with { Size = status.Size, Sha256 = sha };
                    break;
                default:
                    throw new IOException($"{path}: unexpected special file in the backup");
            }

            result.Add(entry);
        }

        return result;
    }
}
