using System.Security.Cryptography;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>What the mirror does to one entry: a file, a symlink, the extras in one directory, the metadata.</summary>
public sealed partial class TreeMirror
{
    /// <summary>Whether <paramref name="rel"/>'s owner, mode, xattrs or mtime differ from the manifest's (read only).</summary>
    private static bool MetadataDiffers(ConfinedDirectory target, string rel, FileStatus status, ManifestEntry entry)
    {
        if (rel.Length == 0)
        {
            return FixMetadata(target, ".", status, entry, isSymlink: false, apply: false);
        }

        using var parent = target.OpenDirectory(ManifestPath.Parent(rel));
        return FixMetadata(parent, Path.GetFileName(rel), status, entry, isSymlink: false, apply: false);
    }

    /// <summary>Removes what the backup does not hold from one directory (its wanted subdirectories are visited on their own).</summary>
    private static int DeleteExtras(MirrorRequest request, ConfinedDirectory target, Dictionary<string, ManifestEntry> wanted, string relDir, bool apply, System.Collections.Concurrent.ConcurrentBag<MirrorChange> changes)
    {
        var deleted = 0;
        using var dir = target.OpenDirectory(relDir);
        foreach (var name in dir.Names())
        {
            var rel = relDir.Length == 0 ? name : relDir + "/" + name;
            if (wanted.ContainsKey(rel) || request.Excludes.IsExcluded(rel))
            {
                continue;
            }

            var status = dir.TryStat(name);

            // Sockets, FIFOs and device nodes cannot be in a backup; the services that own them recreate them.
            if (status is { Kind: FileKind.Special })
            {
                continue;
            }

            changes.Add(new MirrorChange(MirrorChangeKind.Delete, rel, KindOf(status), BytesBelow(dir, name, status)));
            if (apply)
            {
                dir.Delete(name, status);
            }

            deleted++;
        }

        return deleted;
    }

    private static EntryKind? KindOf(FileStatus? status) => status?.Kind switch
    {
        FileKind.Regular => EntryKind.File,
        FileKind.Directory => EntryKind.Directory,
        FileKind.Symlink => EntryKind.Symlink,
        _ => null,
    };

    /// <summary>The bytes of the regular files a delete removes (all of a directory's, never following a symlink).</summary>
    private static long BytesBelow(ConfinedDirectory dir, string name, FileStatus? status)
    {
        if (status is null)
        {
            return 0;
        }

        if (status.Kind != FileKind.Directory)
        {
            return status.Kind == FileKind.Regular ? status.Size : 0;
        }

        using var below = dir.OpenDirectory(name);
        long bytes = 0;
        foreach (var child in below.Names())
        {
            bytes += BytesBelow(below, child, below.TryStat(child));
        }

        return bytes;
    }

    /// <returns>What changes (or, with <paramref name="apply"/> false, would change); null if nothing.</returns>
    private static MirrorChangeKind? RestoreSymlink(ConfinedDirectory dir, string name, ManifestEntry entry, long backupStartNs, Counters counters, bool apply)
    {
        var status = dir.TryStat(name);
        if (status is { Kind: FileKind.Symlink } && UntouchedSinceBackup(status, entry, backupStartNs))
        {
            counters.Unchanged++;
            return null;
        }

        if (status is { Kind: FileKind.Symlink } && dir.ReadLink(name) == entry.LinkTarget)
        {
            if (FixMetadata(dir, name, status, entry, isSymlink: true, apply))
            {
                counters.MetadataFixed++;
                return MirrorChangeKind.Metadata;
            }

            counters.Unchanged++;
            return null;
        }

        var linkTarget = entry.LinkTarget ?? throw new InvalidDataException($"manifest entry {entry.Path} is a symlink without a target");
        if (apply)
        {
            dir.Delete(name, status);
            dir.CreateSymlink(linkTarget, name);
            FixMetadata(dir, name, dir.TryStat(name)!, entry, isSymlink: true, apply: true);
        }

        counters.Copied++;
        return status is null ? MirrorChangeKind.Create : MirrorChangeKind.Rewrite;
    }

    /// <returns>What changes (or, with <paramref name="apply"/> false, would change); null if nothing.</returns>
    private static MirrorChangeKind? RestoreFile(ConfinedDirectory dir, string name, string source, ManifestEntry entry, long backupStartNs, Counters counters, bool apply)
    {
        var status = dir.TryStat(name);
        var same = false;
        if (status is { Kind: FileKind.Regular } && status.Size == entry.Size)
        {
            if (UntouchedSinceBackup(status, entry, backupStartNs))
            {
                counters.Unchanged++;
                return null;
            }
            else
            {
                counters.Hashed++;
                counters.BytesHashed += status.Size;
                using var handle = dir.OpenFile(name);
                same = string.Equals(Sha256Of(handle), entry.Sha256, StringComparison.OrdinalIgnoreCase);
            }
        }

        if (same)
        {
            if (FixMetadata(dir, name, status!, entry, isSymlink: false, apply))
            {
                counters.MetadataFixed++;
                return MirrorChangeKind.Metadata;
            }

            counters.Unchanged++;
            return null;
        }

        var change = status is null ? MirrorChangeKind.Create : MirrorChangeKind.Rewrite;
        if (!apply)
        {
            counters.Copied++;
            counters.BytesCopied += entry.Size;
            return change;
        }

        if (status is { Kind: FileKind.Directory or FileKind.Special })
        {
            dir.Delete(name, status);
        }

        var temp = TempMarker + Guid.NewGuid().ToString("N")[..16];
        try
        {
            using (var input = File.OpenHandle(source, FileMode.Open, FileAccess.Read))
            using (var output = dir.CreateFile(temp))
            {
                Posix.CopyContent(input, output, dir.Child(name));
            }

            ApplyAll(dir, temp, entry);
            dir.Rename(temp, name);
        }
        catch
        {
            try
            {
                dir.Delete(temp);
            }
            catch (IOException)
            {
                // The original error matters more than a leftover temp file, which the next run deletes.
            }

            throw;
        }

        counters.Copied++;
        counters.BytesCopied += entry.Size;
        return change;
    }

    private static bool IsSorted(List<(string Rel, ManifestEntry Entry)> entries)
    {
        for (var i = 1; i < entries.Count; i++)
        {
            if (string.CompareOrdinal(entries[i - 1].Rel, entries[i].Rel) > 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Same mtime as the manifest and no inode change since before the backup started: content, mode,
    /// owner, xattrs and link target are all as the backup read them (each change would set ctime).
    /// </summary>
    private static bool UntouchedSinceBackup(FileStatus status, ManifestEntry entry, long backupStartNs) =>
        status.MtimeNs == entry.MtimeNs && status.CtimeNs <= backupStartNs;

    private static void ApplyAll(ConfinedDirectory dir, string name, ManifestEntry entry) =>
        MetadataApplier.Apply(new ConfinedTarget(dir, name), MetadataOf(entry, entry.MtimeNs), isSymlink: false, OtherXattrs.Remove);

    /// <summary>Brings owner, mode, xattrs and mtime in line with the manifest; true if anything changed (or, without <paramref name="apply"/>, differs).</summary>
    private static bool FixMetadata(ConfinedDirectory dir, string name, FileStatus status, ManifestEntry entry, bool isSymlink, bool apply) =>
        MetadataApplier.Reconcile(new ConfinedTarget(dir, name), status, MetadataOf(entry, status.AtimeNs), isSymlink, OtherXattrs.Remove, apply);

    /// <summary>The manifest's metadata for an entry; the access time is the caller's (the manifest keeps none).</summary>
    private static FileMetadata MetadataOf(ManifestEntry entry, long atimeNs) =>
        new(entry.Uid, entry.Gid, entry.Mode, entry.Xattrs?.ToDictionary(x => x.Key, x => Convert.FromBase64String(x.Value), StringComparer.Ordinal), atimeNs, entry.MtimeNs);

    internal static string Sha256Of(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        using var stream = new FileStream(handle, FileAccess.Read, 1 << 17);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
