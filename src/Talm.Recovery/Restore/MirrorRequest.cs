using Talm.Recovery.Manifest;

namespace Talm.Recovery.Restore;

/// <summary>
/// One tree to mirror: the backup's copy (<see cref="SourceDir"/>, described by the manifest entries
/// under <see cref="ManifestPrefix"/>) onto the host's (<see cref="TargetDir"/>).
/// </summary>
public sealed record MirrorRequest(
    string Name,
    string SourceDir,
    string TargetDir,
    string ManifestPrefix,
    IReadOnlyList<ManifestEntry> Entries,
    ExcludeList Excludes,
    DateTimeOffset BackupStartedAt);

public sealed record MirrorResult(
    string Name,
    int Entries,
    int Unchanged,
    int Copied,
    int MetadataFixed,
    int Hashed,
    int Deleted,
    long BytesCopied,
    TimeSpan Duration)
{
    /// <summary>Where the time went, e.g. "directories 0.01s, deletions 0.02s, files 0.50s, ...".</summary>
    public string Phases { get; init; } = "";

    public long BytesHashed { get; init; }

    /// <summary>Every entry created, rewritten, removed or whose metadata was fixed (or, from a plan, would be), in path order.</summary>
    public IReadOnlyList<MirrorChange> Changes { get; init; } = [];
}

public enum MirrorChangeKind
{
    /// <summary>Not on the host: written from the backup.</summary>
    Create,

    /// <summary>On the host with other content (or of another kind): replaced from the backup.</summary>
    Rewrite,

    /// <summary>On the host, not in the backup: removed (a directory with all it holds).</summary>
    Delete,

    /// <summary>Same content; owner, mode, extended attributes or modification time put back.</summary>
    Metadata,
}

/// <param name="Path">Relative to the tree ("" is the tree's own directory).</param>
/// <param name="Kind">What the entry is (for a delete, what is on the host; null for a socket or device node).</param>
/// <param name="Bytes">Create and rewrite: file content written (0 for directories, symlinks, hard links); delete: bytes of the files removed.</param>
public sealed record MirrorChange(MirrorChangeKind Change, string Path, EntryKind? Kind, long Bytes);

public sealed record MirrorProgress(string Name, long Done, long Total);
