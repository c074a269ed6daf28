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

    public ReuseIndex(string previousRoot, BackupManifest previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        PreviousRoot = previousRoot;
        Previous = previous;
        foreach (var entry in previous.Entries)
        {
            if (entry is { Kind: EntryKind.File, Source: not null, Sha256: not null, HardLinkTo: null } or { Kind: EntryKind.Symlink, Source: not null, LinkTarget: not null })
            {
                _bySource.TryAdd((entry.Source.Device, entry.Source.Inode), entry);
            }
        }
    }

    public string PreviousRoot { get; }

    public BackupManifest Previous { get; }

    public int Count => _bySource.Count;

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
