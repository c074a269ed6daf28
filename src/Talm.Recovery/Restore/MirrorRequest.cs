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
    TimeSpan Duration);

public sealed record MirrorProgress(string Name, long Done, long Total);
