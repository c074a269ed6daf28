using System.Text.Json.Serialization;

namespace Talm.Recovery.Manifest;

/// <summary>
/// What a backup holds, written last into <c>manifest.json</c> at the backup directory's root.
/// A backup without a manifest is incomplete by definition; <c>verify</c> and the restore trust
/// nothing that the manifest does not describe.
/// </summary>
public sealed record BackupManifest
{
    /// <summary>Layout/format version; readers refuse a format they do not know.</summary>
    public int Format { get; init; } = CurrentFormat;

    public const int CurrentFormat = 1;

    public required string ToolVersion { get; init; }

    /// <summary>Host name of the node the backup was taken on, as the backup saw it (shown; <see cref="Node"/> is what the restore checks).</summary>
    public required string Host { get; init; }

    /// <summary>The node's identity (host name, machine-id, OS), checked by the restore; absent in backups of older talm.</summary>
    public NodeIdentity? Node { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>The <c>YYYY-MM-DD_HHMMSS</c> stamp used in the <c>cluster/</c> file names.</summary>
    public required string Timestamp { get; init; }

    public required EtcdBackupInfo Etcd { get; init; }

    public OstreeBackupInfo? Ostree { get; init; }

    /// <summary>Every entry of the backup, paths relative to the backup directory, '/'-separated, sorted ordinally.</summary>
    public required IReadOnlyList<ManifestEntry> Entries { get; init; }

    public required BackupTotals Totals { get; init; }

    /// <summary>Image references saved into <c>images/</c> (an OCI layout), when images were asked for.</summary>
    public IReadOnlyList<string>? Images { get; init; }
}

public sealed record EtcdBackupInfo
{
    /// <summary>Relative path of the snapshot, e.g. <c>cluster/snapshot_2026-11-25_101500.db</c>.</summary>
    public required string SnapshotFile { get; init; }

    /// <summary>Hex SHA-256 of the database part of the snapshot (the value of its 32-byte trailer).</summary>
    public required string SnapshotDbSha256 { get; init; }

    public required long Revision { get; init; }

    /// <summary>Relative path of the static pod resources archive.</summary>
    public required string StaticPodResourcesArchive { get; init; }
}

public sealed record OstreeBackupInfo
{
    public required string Checksum { get; init; }

    public string? Version { get; init; }

    public required string OsName { get; init; }

    public int DeploySerial { get; init; }
}

public sealed record BackupTotals
{
    public required long Files { get; init; }

    public required long Bytes { get; init; }

    public double DurationSeconds { get; init; }

    /// <summary>Files taken from the previous backup by hard link or clone instead of copying.</summary>
    public long ReusedFiles { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<EntryKind>))]
public enum EntryKind
{
    File,
    Directory,
    Symlink,
}

public sealed record ManifestEntry
{
    public required string Path { get; init; }

    public required EntryKind Kind { get; init; }

    /// <summary>Permission bits including setuid/setgid/sticky (st_mode &amp; 07777).</summary>
    public required int Mode { get; init; }

    public required int Uid { get; init; }

    public required int Gid { get; init; }

    /// <summary>Modification time, nanoseconds since the Unix epoch.</summary>
    public required long MtimeNs { get; init; }

    /// <summary>Size in bytes (files only).</summary>
    public long Size { get; init; }

    /// <summary>Lower-case hex SHA-256 of the content (files only).</summary>
    public string? Sha256 { get; init; }

    /// <summary>Target of a symlink, as stored (not resolved).</summary>
    public string? LinkTarget { get; init; }

    /// <summary>For a file sharing its inode with an earlier entry: that entry's path.</summary>
    public string? HardLinkTo { get; init; }

    /// <summary>Extended attributes, name → base64 value (e.g. <c>security.selinux</c>).</summary>
    public IReadOnlyDictionary<string, string>? Xattrs { get; init; }

    /// <summary>
    /// Identity of the source file when it was copied (device, inode, ctime in ns). The next backup
    /// links this entry's file instead of copying when the source still has the same identity,
    /// size and mtime. Absent for files the backup generated itself.
    /// </summary>
    public SourceIdentity? Source { get; init; }
}

public sealed record SourceIdentity(ulong Device, ulong Inode, long CtimeNs);
