using System.Security.Cryptography;
using System.Text.Json;
using Talm.Recovery.Layout;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Manifest;

/// <summary>Reads and durably writes <c>manifest.json</c>.</summary>
public static class ManifestStore
{
    /// <summary>The manifest's serializer options (camelCase, nulls left out), with its generated contract.</summary>
    public static JsonSerializerOptions Options => ManifestJsonContext.Default.Options;

    /// <summary>
    /// Reads the manifest of a backup root and checks it (<see cref="ManifestValidator"/>): every path in
    /// it is safe to join under a root. Throws <see cref="InvalidDataException"/> naming the problem, in one line.
    /// </summary>
    public static BackupManifest Read(string backupRoot)
    {
        var path = BackupDirectory.ManifestOf(backupRoot);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"no {BackupLayout.Manifest} in {backupRoot}: there is no complete backup there; run `talm recovery backup`");
        }

        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    /// <summary>Reads a manifest from <paramref name="stream"/>; <paramref name="source"/> names it in messages.</summary>
    public static BackupManifest Parse(Stream stream, string source)
    {
        BackupManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(stream, ManifestJsonContext.Default.BackupManifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a valid manifest ({e.Message}); the backup is damaged, take a new one", e);
        }

        if (manifest is null)
        {
            throw new InvalidDataException($"{source} is empty; the backup is damaged, take a new one");
        }

        if (manifest.Format != BackupManifest.CurrentFormat)
        {
            throw new InvalidDataException($"{source} has format {manifest.Format}, this talm reads format {BackupManifest.CurrentFormat}; use the talm saved with the backup ({BackupLayout.RecoveryScript})");
        }

        if (ManifestValidator.FirstProblem(manifest) is { } problem)
        {
            throw new InvalidDataException($"{source} is not a valid manifest: {problem}; the backup is damaged or was tampered with, take a new one");
        }

        return manifest;
    }

    /// <summary>Returns null instead of throwing when the manifest is missing or unreadable.</summary>
    public static BackupManifest? TryRead(string backupRoot)
    {
        try
        {
            return Read(backupRoot);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The manifest of the previous backup, for the next backup to reuse from: from its <see cref="ManifestIndex"/>
    /// when that mirrors exactly these manifest bytes (checked as a manifest read from JSON is), else parsed from the
    /// JSON, and the index written afresh for later readers. Null when the manifest is missing or unreadable.
    /// </summary>
    public static IndexedManifest? ReadForReuse(string backupRoot)
    {
        var path = Path.Combine(backupRoot, BackupLayout.Manifest);
        byte[] bytes;
        FileStatus status;
        try
        {
            // The bytes and the identity of one open file: the index's inodes hold only for the very file it was written beside.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            status = Posix.FStat(file.SafeFileHandle, path);
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NativeException)
        {
            return null;
        }

        var sha = SHA256.HashData(bytes);
        var identity = (status.Device, status.Inode);
        if (ManifestIndex.TryRead(backupRoot, sha, identity) is var (indexed, inodes)
            && indexed.Format == BackupManifest.CurrentFormat && ManifestValidator.FirstProblem(indexed) is null)
        {
            return new IndexedManifest(indexed, inodes, FromIndex: true);
        }

        BackupManifest manifest;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            manifest = Parse(stream, path);
        }
        catch (InvalidDataException)
        {
            return null;
        }

        try
        {
            ManifestIndex.Write(backupRoot, manifest, sha, identity, inodes: null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache: the next reader parses the JSON again.
        }

        return new IndexedManifest(manifest, new Dictionary<string, ulong>(), FromIndex: false);
    }

    /// <summary>
    /// Writes the manifest through a temporary file, fsyncs it, renames it into place and fsyncs the directory;
    /// then its <see cref="ManifestIndex"/> beside it, with <paramref name="inodes"/> (entry path to the inode holding its copy).
    /// </summary>
    public static void Write(string backupRoot, BackupManifest manifest, IReadOnlyDictionary<string, ulong>? inodes = null)
    {
        var path = BackupDirectory.ManifestOf(backupRoot);
        var temp = path + ".tmp";

        // The index is encoded while the manifest is serialized and waits for the disk.
        var index = Task.Run(() => ManifestIndex.Encode(manifest, inodes));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.BackupManifest);
        FileStatus status;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
            status = Posix.FStat(stream.SafeFileHandle, temp);
        }

        Posix.Rename(temp, path);
        Posix.Fsync(backupRoot);
        ManifestIndex.WriteSealed(backupRoot, index.GetAwaiter().GetResult(), SHA256.HashData(bytes), (status.Device, status.Inode));
    }
}

/// <summary>A manifest read for reuse, with the inodes its index recorded (empty when not known), and whether it came from the index.</summary>
public sealed record IndexedManifest(BackupManifest Manifest, IReadOnlyDictionary<string, ulong> Inodes, bool FromIndex);
