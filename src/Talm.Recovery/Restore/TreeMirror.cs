using System.Diagnostics;
using System.Security.Cryptography;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;
using Talm.Recovery.Restore.Native;

namespace Talm.Recovery.Restore;

/// <summary>
/// Makes a host tree an exact mirror of a backup tree: contents, owner, mode, mtime, symlinks, hard
/// links and xattrs, deleting what the backup does not hold (except excluded paths). Only what differs
/// is rewritten. A file's content is taken as unchanged without reading it when its size and mtime match
/// the manifest and its ctime predates the backup (no write, chmod or touch since then can leave ctime
/// untouched); otherwise, when the size matches, it is hashed and compared with the manifest's SHA-256.
/// Replaced files are written beside the target and renamed over it, so a crash never leaves a half file.
/// </summary>
public sealed class TreeMirror(int parallelism)
{
    private const string TempMarker = ".talm-restore-";

    public MirrorResult Mirror(MirrorRequest request, IProgress<MirrorProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var prefix = request.ManifestPrefix + "/";
        var backupStartNs = (request.BackupStartedAt.ToUnixTimeMilliseconds() * 1_000_000L) - 1;
        ManifestEntry? rootEntry = null;
        var wanted = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        var ordered = new List<(string Rel, ManifestEntry Entry)>();
        foreach (var entry in request.Entries)
        {
            if (entry.Path == request.ManifestPrefix)
            {
                rootEntry = entry;
                continue;
            }

            if (!entry.Path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rel = entry.Path[prefix.Length..];
            if (request.Excludes.IsExcluded(rel))
            {
                continue;
            }

            wanted[rel] = entry;
            ordered.Add((rel, entry));
        }

        ordered.Sort((a, b) => string.CompareOrdinal(a.Rel, b.Rel));
        var counters = new Counters();
        long done = 0;
        var total = ordered.Count;
        void Tick()
        {
            var n = Interlocked.Increment(ref done);
            if (progress is not null && (n % 2048 == 0 || n == total))
            {
                progress.Report(new MirrorProgress(request.Name, n, total));
            }
        }

        Directory.CreateDirectory(request.TargetDir);

        // 1. Directories exist, and are directories, before anything goes into them.
        foreach (var (rel, entry) in ordered)
        {
            if (entry.Kind != EntryKind.Directory)
            {
                continue;
            }

            var path = Path.Combine(request.TargetDir, rel);
            var status = Posix.TryLStat(path);
            if (status?.Kind != FileKind.Directory)
            {
                RemoveAny(path, status);
                Directory.CreateDirectory(path);
                counters.Copied++;
            }
        }

        // 2. What the backup does not hold goes, so stale files never survive a restore.
        DeleteExtras(request, wanted, "", counters, cancellationToken);

        // 3. Files and symlinks, in parallel (hashing and copying dominate).
        var linked = new List<(string Rel, ManifestEntry Entry, string LinkTo)>();
        var independent = new List<(string Rel, ManifestEntry Entry)>();
        foreach (var (rel, entry) in ordered)
        {
            if (entry.Kind == EntryKind.Directory)
            {
                continue;
            }

            var linkTo = entry.HardLinkTo is { } to && to.StartsWith(prefix, StringComparison.Ordinal) ? to[prefix.Length..] : null;
            if (linkTo is not null && wanted.ContainsKey(linkTo))
            {
                linked.Add((rel, entry, linkTo));
            }
            else
            {
                independent.Add((rel, entry));
            }
        }

        Parallel.ForEach(
            independent,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            () => new Counters(),
            (item, _, local) =>
            {
                var path = Path.Combine(request.TargetDir, item.Rel);
                if (item.Entry.Kind == EntryKind.Symlink)
                {
                    RestoreSymlink(path, item.Entry, local);
                }
                else
                {
                    RestoreFile(path, Path.Combine(request.SourceDir, item.Rel), item.Entry, backupStartNs, local);
                }

                Tick();
                return local;
            },
            local => counters.Add(local));

        // 4. Hard links, once the files they share an inode with are in place.
        foreach (var (rel, entry, linkTo) in linked)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(request.TargetDir, rel);
            var target = Path.Combine(request.TargetDir, linkTo);
            var status = Posix.TryLStat(path);
            var targetStatus = Posix.LStat(target);
            if (status is { Kind: FileKind.Regular } && status.Inode == targetStatus.Inode && status.Device == targetStatus.Device)
            {
                counters.Unchanged++;
            }
            else
            {
                RemoveAny(path, status);
                Posix.Link(target, path);
                counters.Copied++;
            }

            _ = entry;
            Tick();
        }

        // 5. Directory metadata last and deepest first: adding or removing children changes a directory's mtime.
        for (var i = ordered.Count - 1; i >= 0; i--)
        {
            var (rel, entry) = ordered[i];
            if (entry.Kind != EntryKind.Directory)
            {
                continue;
            }

            var path = Path.Combine(request.TargetDir, rel);
            if (FixMetadata(path, Posix.LStat(path), entry, isSymlink: false))
            {
                counters.MetadataFixed++;
            }

            Tick();
        }

        if (rootEntry is not null && Posix.TryLStat(request.TargetDir) is { Kind: FileKind.Directory } rootStatus)
        {
            FixMetadata(request.TargetDir, rootStatus, rootEntry, isSymlink: false);
        }

        RestoreLibC.Sync();
        return new MirrorResult(
            request.Name,
            ordered.Count,
            counters.Unchanged,
            counters.Copied,
            counters.MetadataFixed,
            counters.Hashed,
            counters.Deleted,
            counters.BytesCopied,
            clock.Elapsed);
    }

    private static void DeleteExtras(MirrorRequest request, Dictionary<string, ManifestEntry> wanted, string relDir, Counters counters, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var full = relDir.Length == 0 ? request.TargetDir : Path.Combine(request.TargetDir, relDir);
        foreach (var child in Directory.EnumerateFileSystemEntries(full))
        {
            var name = Path.GetFileName(child);
            var rel = relDir.Length == 0 ? name : relDir + "/" + name;
            if (request.Excludes.IsExcluded(rel))
            {
                continue;
            }

            if (!wanted.TryGetValue(rel, out var entry))
            {
                RemoveAny(child, Posix.TryLStat(child));
                counters.Deleted++;
            }
            else if (entry.Kind == EntryKind.Directory)
            {
                DeleteExtras(request, wanted, rel, counters, cancellationToken);
            }
        }
    }

    private static void RestoreSymlink(string path, ManifestEntry entry, Counters counters)
    {
        var status = Posix.TryLStat(path);
        if (status is { Kind: FileKind.Symlink } && new FileInfo(path).LinkTarget == entry.LinkTarget)
        {
            if (FixMetadata(path, status, entry, isSymlink: true))
            {
                counters.MetadataFixed++;
            }
            else
            {
                counters.Unchanged++;
            }

            return;
        }

        RemoveAny(path, status);
        Posix.Symlink(entry.LinkTarget ?? throw new InvalidDataException($"manifest entry {entry.Path} is a symlink without a target"), path);
        FixMetadata(path, Posix.LStat(path), entry, isSymlink: true);
        counters.Copied++;
    }

    private static void RestoreFile(string path, string source, ManifestEntry entry, long backupStartNs, Counters counters)
    {
        var status = Posix.TryLStat(path);
        var same = false;
        if (status is { Kind: FileKind.Regular } && status.Size == entry.Size)
        {
            if (status.MtimeNs == entry.MtimeNs && status.CtimeNs <= backupStartNs)
            {
                same = true;
            }
            else
            {
                counters.Hashed++;
                same = string.Equals(Sha256Of(path), entry.Sha256, StringComparison.OrdinalIgnoreCase);
            }
        }

        if (same)
        {
            if (FixMetadata(path, status!, entry, isSymlink: false))
            {
                counters.MetadataFixed++;
            }
            else
            {
                counters.Unchanged++;
            }

            return;
        }

        if (status is { Kind: FileKind.Directory or FileKind.Special })
        {
            RemoveAny(path, status);
        }

        var temp = Path.Combine(Path.GetDirectoryName(path)!, TempMarker + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            File.Copy(source, temp);
            ApplyAll(temp, entry);
            Posix.Rename(temp, path);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // The original error matters more than a leftover temp file, which the next run deletes.
            }

            throw;
        }

        counters.Copied++;
        counters.BytesCopied += entry.Size;
    }

    private static void ApplyAll(string path, ManifestEntry entry)
    {
        Posix.LChown(path, entry.Uid, entry.Gid);

        // chown clears setuid/setgid, so the mode comes after it.
        Posix.Chmod(path, entry.Mode);
        ApplyXattrs(path, entry);
        Posix.SetTimes(path, entry.MtimeNs, entry.MtimeNs);
    }

    /// <summary>Brings owner, mode, xattrs and mtime in line with the manifest; true if anything changed.</summary>
    private static bool FixMetadata(string path, FileStatus status, ManifestEntry entry, bool isSymlink)
    {
        var changed = false;
        if (status.Uid != entry.Uid || status.Gid != entry.Gid)
        {
            Posix.LChown(path, entry.Uid, entry.Gid);
            changed = true;
        }

        if (!isSymlink && (changed || status.Permissions != entry.Mode))
        {
            Posix.Chmod(path, entry.Mode);
            changed = true;
        }

        changed |= ApplyXattrs(path, entry);
        if (changed || status.MtimeNs != entry.MtimeNs)
        {
            Posix.SetTimes(path, status.AtimeNs, entry.MtimeNs);
            changed = true;
        }

        return changed;
    }

    private static bool ApplyXattrs(string path, ManifestEntry entry)
    {
        var current = Posix.GetXattrs(path);
        var changed = false;
        var desired = entry.Xattrs ?? new Dictionary<string, string>();
        foreach (var (name, base64) in desired)
        {
            var value = Convert.FromBase64String(base64);
            if (!current.TryGetValue(name, out var have) || !have.AsSpan().SequenceEqual(value))
            {
                Posix.SetXattr(path, name, value);
                changed = true;
            }
        }

        foreach (var name in current.Keys)
        {
            if (!desired.ContainsKey(name))
            {
                RestoreLibC.RemoveXattr(path, name);
                changed = true;
            }
        }

        return changed;
    }

    internal static void RemoveAny(string path, FileStatus? status)
    {
        switch (status?.Kind)
        {
            case null:
                return;
            case FileKind.Directory:
                Directory.Delete(path, recursive: true);
                return;
            default:
                File.Delete(path);
                return;
        }
    }

    internal static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 17, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private sealed class Counters
    {
        public int Unchanged;
        public int Copied;
        public int MetadataFixed;
        public int Hashed;
        public int Deleted;
        public long BytesCopied;

        public void Add(Counters other)
        {
            lock (this)
            {
                Unchanged += other.Unchanged;
                Copied += other.Copied;
                MetadataFixed += other.MetadataFixed;
                Hashed += other.Hashed;
                Deleted += other.Deleted;
                BytesCopied += other.BytesCopied;
            }
        }
    }
}
