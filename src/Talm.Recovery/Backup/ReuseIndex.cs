using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// Files of the previous backup by the identity of the source they were copied from. A source file
/// whose device, inode, size, mtime and ctime are unchanged has the same content, owner, mode and
/// extended attributes (any change to those moves ctime), so the old copy can be hard-linked.
/// </summary>
public sealed class ReuseIndex
{
    private readonly Dictionary<(ulong Device, ulong Inode), ManifestEntry> _bySource = [];

    public ReuseIndex(string previousRoot, BackupManifest previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        PreviousRoot = previousRoot;
        foreach (var entry in previous.Entries)
        {
            if (entry is { Kind: EntryKind.File, Source: not null, Sha256: not null })
            {
                _bySource.TryAdd((entry.Source.Device, entry.Source.Inode), entry);
            }
        }
    }

    public string PreviousRoot { get; }

    public int Count => _bySource.Count;

    /// <summary>The previous backup's entry for an unchanged source file, or null.</summary>
    public ManifestEntry? Find(FileStatus source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return _bySource.TryGetValue((source.Device, source.Inode), out var entry)
            && entry.Size == source.Size
            && entry.MtimeNs == source.MtimeNs
            && entry.Source!.CtimeNs == source.CtimeNs
                ? entry
                : null;
    }
}
