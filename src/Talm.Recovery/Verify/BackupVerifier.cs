using System.Collections.Concurrent;
using System.Security.Cryptography;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Verify;

/// <summary>
/// Re-reads a backup against its manifest: every entry's kind, mode, owner, mtime, link, extended
/// attributes and content hash; anything present but not in the manifest; and the etcd snapshot's
/// own SHA-256 trailer. Used by <c>talm recovery verify</c> and by restore before anything destructive.
/// </summary>
public static class BackupVerifier
{
    /// <param name="dir">A backup directory (resolved through <c>current</c>) or a generation directory.</param>
    public static async Task<VerifyReport> VerifyAsync(string dir, int parallelism = 4, Action<long>? onBytes = null, CancellationToken cancellationToken = default)
    {
        var backup = new BackupDirectory(dir);
        var root = backup.CurrentRoot();
        if (root is null)
        {
            return new VerifyReport(dir, [$"no committed backup in {dir} (no {Path.GetFileName(backup.CurrentLink)} link and no {BackupLayout.Manifest}); run `talm recovery backup`"], 0, 0);
        }

        BackupManifest manifest;
        try
        {
            manifest = ManifestStore.Read(root);
        }
        catch (InvalidDataException e)
        {
            return new VerifyReport(root, [e.Message], 0, 0);
        }

        var problems = new ConcurrentBag<string>();
        var byPath = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        foreach (var entry in manifest.Entries)
        {
            byPath[entry.Path] = entry;
        }

        CheckForExtras(root, byPath, problems);
        long files = 0;
        long bytes = 0;
        await Parallel.ForEachAsync(manifest.Entries, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            var problem = await CheckEntryAsync(root, entry, onBytes, ct).ConfigureAwait(false);
            if (problem is not null)
            {
                problems.Add(problem);
            }

            if (entry.Kind == EntryKind.File)
            {
                Interlocked.Increment(ref files);
                Interlocked.Add(ref bytes, entry.Size);
            }
        }).ConfigureAwait(false);

        var snapshotPath = Path.Combine(root, manifest.Etcd.SnapshotFile);
        if (!File.Exists(snapshotPath))
        {
            problems.Add($"{manifest.Etcd.SnapshotFile}: etcd snapshot missing");
        }
        else
        {
            var check = SnapshotIntegrity.Check(snapshotPath);
            if (!check.Ok)
            {
                problems.Add(check.Problem!);
            }
            else if (!string.Equals(check.DbSha256, manifest.Etcd.SnapshotDbSha256, StringComparison.Ordinal))
            {
                problems.Add($"{manifest.Etcd.SnapshotFile}: database hash {check.DbSha256} differs from the manifest's {manifest.Etcd.SnapshotDbSha256}");
            }
        }

        if (!byPath.ContainsKey(manifest.Etcd.StaticPodResourcesArchive))
        {
            problems.Add($"{manifest.Etcd.StaticPodResourcesArchive}: static pod resources archive not listed in the manifest");
        }

        var sorted = problems.Order(StringComparer.Ordinal).ToList();
        return new VerifyReport(root, sorted, files, bytes);
    }

    private static void CheckForExtras(string root, Dictionary<string, ManifestEntry> byPath, ConcurrentBag<string> problems)
    {
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var path in Directory.EnumerateFileSystemEntries(directory))
            {
                var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (BackupDirectory.UnlistedNames.Contains(relative))
                {
                    continue;
                }

                if (!byPath.ContainsKey(relative))
                {
                    problems.Add($"{relative}: present in the backup but not in its manifest");
                    continue;
                }

                if (byPath[relative].Kind == EntryKind.Directory)
                {
                    pending.Push(path);
                }
            }
        }
    }

    private static async Task<string?> CheckEntryAsync(string root, ManifestEntry entry, Action<long>? onBytes, CancellationToken ct)
    {
        var path = Path.Combine(root, entry.Path);
        var status = Posix.TryLStat(path);
        if (status is null)
        {
            return $"{entry.Path}: missing";
        }

        var kind = status.Kind switch
        {
            FileKind.Regular => EntryKind.File,
            FileKind.Directory => EntryKind.Directory,
            FileKind.Symlink => EntryKind.Symlink,
            _ => (EntryKind?)null,
        };
        if (kind != entry.Kind)
        {
            return $"{entry.Path}: is a {status.Kind}, the manifest says {entry.Kind}";
        }

        if (entry.Kind != EntryKind.Symlink && status.Permissions != entry.Mode)
        {
            return $"{entry.Path}: mode {Convert.ToString(status.Permissions, 8)}, expected {Convert.ToString(entry.Mode, 8)}";
        }

        if (status.Uid != entry.Uid || status.Gid != entry.Gid)
        {
            return $"{entry.Path}: owner {status.Uid}:{status.Gid}, expected {entry.Uid}:{entry.Gid}";
        }

        switch (entry.Kind)
        {
            case EntryKind.Symlink:
                var target = new FileInfo(path).LinkTarget;
                if (target != entry.LinkTarget)
                {
                    return $"{entry.Path}: link points to {target}, expected {entry.LinkTarget}";
                }

                break;
            case EntryKind.File:
                if (status.Size != entry.Size)
                {
                    return $"{entry.Path}: size {status.Size}, expected {entry.Size}";
                }

                if (entry.HardLinkTo is not null)
                {
                    var other = Posix.TryLStat(Path.Combine(root, entry.HardLinkTo));
                    if (other is null || other.Inode != status.Inode || other.Device != status.Device)
                    {
                        return $"{entry.Path}: should be a hard link to {entry.HardLinkTo}";
                    }
                }

                var sha = await HashFileAsync(path, onBytes, ct).ConfigureAwait(false);
                if (sha != entry.Sha256)
                {
                    return $"{entry.Path}: content changed (SHA-256 {sha}, expected {entry.Sha256})";
                }

                break;
        }

        // Content first (above), then the metadata a restore copies back.
        if (status.MtimeNs != entry.MtimeNs)
        {
            return $"{entry.Path}: modification time changed";
        }

        return CheckXattrs(path, entry);
    }

    private static string? CheckXattrs(string path, ManifestEntry entry)
    {
        var actual = Posix.GetXattrs(path);
        var expected = entry.Xattrs ?? new Dictionary<string, string>();
        if (actual.Count != expected.Count)
        {
            return $"{entry.Path}: extended attributes [{string.Join(',', actual.Keys)}], expected [{string.Join(',', expected.Keys)}]";
        }

        foreach (var (name, value) in expected)
        {
            if (!actual.TryGetValue(name, out var bytes) || Convert.ToBase64String(bytes) != value)
            {
                return $"{entry.Path}: extended attribute {name} differs";
            }
        }

        return null;
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static async Task<string> HashFileAsync(string path, Action<long>? onBytes = null, CancellationToken ct = default)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        await using var closeStream = stream.ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                onBytes?.Invoke(read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
