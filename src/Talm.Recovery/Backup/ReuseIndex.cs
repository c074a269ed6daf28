using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// Files and symlinks of the previous backup by the identity of the source they were copied from. A
/// source whose device, inode, size, mtime and ctime are unchanged has the same content (or link
/// target), owner, mode and extended attributes (any change to those moves ctime), so the old copy
/// can be hard-linked.
/// </summary>
public sealed class ReuseIndex
{
    private readonly Dictionary<(ulong Device, ulong Inode), ManifestEntry> _bySource = [];
    private readonly IReadOnlyDictionary<string, ulong> _copies;

    public ReuseIndex(string previousRoot, BackupManifest previous)
        : this(previousRoot, new IndexedManifest(previous, new Dictionary<string, ulong>(), FromIndex: false))
    {
    }

    /// <summary>An index that also knows which inode held each entry's copy in the previous backup (from its <see cref="ManifestIndex"/>).</summary>
    public ReuseIndex(string previousRoot, IndexedManifest indexed)
    {
        ArgumentNullException.ThrowIfNull(indexed);
        var previous = indexed.Manifest;
        PreviousRoot = previousRoot;
        Previous = previous;
        _copies = indexed.Inodes;
        PreviousDevice = Posix.TryLStat(previousRoot)?.Device ?? 0;
        foreach (var entry in previous.Entries)
        {
            if (entry is { Kind: EntryKind.File, Source: not null, Sha256: not null, HardLinkTo: null } or { Kind: EntryKind.Symlink, Source: not null, LinkTarget: not null })
            {
                _bySource.TryAdd((entry.Source.Device, entry.Source.Inode), entry);
            }
        }
    }

    public string PreviousRoot { get; }

    /// <summary>The device the previous backup lies on (the one its recorded inodes are numbers of).</summary>
    public ulong PreviousDevice { get; }

    public BackupManifest Previous { get; }

    public int Count => _bySource.Count;

    /// <summary>The inode that held <paramref name="entry"/>'s copy when the previous backup was written, or 0 when not known.</summary>
    public ulong CopyInode(ManifestEntry entry) => _copies.TryGetValue(entry.Path, out var inode) ? inode : 0;

    /// <summary>The previous backup's entry for an unchanged source file or symlink, or null.</summary>
    public ManifestEntry? Find(FileStatus source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var kind = source.Kind switch
        {
            FileKind.Regular => EntryKind.File,
            FileKind.Symlink => EntryKind.Symlink,
            _ => (EntryKind?)null,
        };
        return kind is not null
            && _bySource.TryGetValue((source.Device, source.Inode), out var entry)
            && entry.Kind == kind
            && (kind == EntryKind.Symlink ? System.Text.Encoding.UTF8.GetByteCount(entry.LinkTarget!) : entry.Size) == source.Size
            && entry.MtimeNs == source.MtimeNs
            && entry.Source!.CtimeNs == source.CtimeNs
                ? entry
                : null;
    }
}
