using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Talm.Recovery.Layout;

namespace Talm.Recovery.Manifest;

/// <summary>
/// A binary copy of a backup's <c>manifest.json</c>, beside it, that the next backup reads instead of
/// parsing ten thousand entries of JSON on its critical path. It is a cache, never the record: it
/// names the SHA-256 of the manifest bytes it was made from and carries a SHA-256 of itself, and a
/// reader that finds it missing, torn, damaged or made from other manifest bytes ignores it (and
/// <see cref="ManifestStore.ReadForReuse"/> parses the JSON and writes it afresh). It also records,
/// per file and symlink, the inode that held the entry's copy in the backup when it was written,
/// valid only while the manifest is the very file it was written beside (same device and inode):
/// with it the next backup can tell that a recycled name already links the right copy without
/// looking the copy up by path.
/// </summary>
public static class ManifestIndex
{
    private const int Version = 1;
    private const int HashLength = 32;
    private static readonly byte[] Magic = "TALMIDX\n"u8.ToArray();

    [Flags]
    private enum Has : byte
    {
        Sha256 = 1,
        LinkTarget = 2,
        HardLinkTo = 4,
        Xattrs = 8,
        Source = 16,
    }

    /// <summary>
    /// Writes the index of <paramref name="manifest"/>, whose JSON bytes hash to <paramref name="manifestSha256"/> and
    /// are stored in the file <paramref name="manifestFile"/> (device, inode), through a temporary file and a rename.
    /// Not fsynced: a torn or lost index is detected and rebuilt, and the manifest it mirrors is durable.
    /// </summary>
    public static void Write(string backupRoot, BackupManifest manifest, ReadOnlySpan<byte> manifestSha256, (ulong Device, ulong Inode) manifestFile, IReadOnlyDictionary<string, ulong>? inodes) =>
        WriteSealed(backupRoot, Encode(manifest, inodes), manifestSha256, manifestFile);

    /// <summary>
    /// The index of <paramref name="manifest"/> without the manifest's hash and identity, which <see cref="WriteSealed"/>
    /// adds: it can be encoded while the manifest itself is written and made durable.
    /// </summary>
    public static byte[] Encode(BackupManifest manifest, IReadOnlyDictionary<string, ulong>? inodes)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var buffer = new MemoryStream(manifest.Entries.Count * 160);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(new byte[HashLength + 16]); // the manifest's SHA-256, device and inode, sealed in later

            // Everything but the entries through the manifest's own contract: few fields, and they stay as the JSON has them.
            var header = JsonSerializer.SerializeToUtf8Bytes(manifest with { Entries = [] }, ManifestJsonContext.Default.BackupManifest);
            writer.Write(header.Length);
            writer.Write(header);
            writer.Write(manifest.Entries.Count);
            foreach (var entry in manifest.Entries)
            {
                WriteEntry(writer, entry, inodes is not null && inodes.TryGetValue(entry.Path, out var inode) ? inode : 0);
            }

            writer.Write(new byte[HashLength]); // the index's own SHA-256
        }

        return buffer.ToArray();
    }

    /// <summary>Adds to an <see cref="Encode"/>d index the manifest it mirrors and its own hash, and writes it through a temporary file and a rename.</summary>
    public static void WriteSealed(string backupRoot, byte[] encoded, ReadOnlySpan<byte> manifestSha256, (ulong Device, ulong Inode) manifestFile)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        var at = Magic.Length + 4;
        manifestSha256.CopyTo(encoded.AsSpan(at, HashLength));
        BinaryPrimitives.WriteUInt64LittleEndian(encoded.AsSpan(at + HashLength, 8), manifestFile.Device);
        BinaryPrimitives.WriteUInt64LittleEndian(encoded.AsSpan(at + HashLength + 8, 8), manifestFile.Inode);
        SHA256.HashData(encoded.AsSpan(0, encoded.Length - HashLength), encoded.AsSpan(encoded.Length - HashLength));
        var temp = BackupDirectory.ManifestIndexTempOf(backupRoot);
        File.WriteAllBytes(temp, encoded);
        File.Move(temp, BackupDirectory.ManifestIndexOf(backupRoot), overwrite: true);
    }

    /// <summary>
    /// The manifest the index of <paramref name="backupRoot"/> mirrors, when it mirrors exactly the manifest bytes hashing
    /// to <paramref name="manifestSha256"/> and is whole; else null. Inodes are given only when the manifest is still
    /// the file (<paramref name="manifestFile"/>) the index was written beside, else the map is empty.
    /// </summary>
    public static (BackupManifest Manifest, IReadOnlyDictionary<string, ulong> Inodes)? TryRead(string backupRoot, ReadOnlySpan<byte> manifestSha256, (ulong Device, ulong Inode) manifestFile)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(BackupDirectory.ManifestIndexOf(backupRoot));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Decode(bytes, manifestSha256, manifestFile);
    }

    internal static (BackupManifest Manifest, IReadOnlyDictionary<string, ulong> Inodes)? Decode(byte[] bytes, ReadOnlySpan<byte> manifestSha256, (ulong Device, ulong Inode) manifestFile)
    {
        var body = bytes.Length - HashLength;
        if (body < Magic.Length + 4 + HashLength
            || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)
            || !SHA256.HashData(bytes.AsSpan(0, body)).AsSpan().SequenceEqual(bytes.AsSpan(body)))
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 0, body, writable: false), Encoding.UTF8);
            reader.ReadBytes(Magic.Length);
            if (reader.ReadInt32() != Version || !reader.ReadBytes(HashLength).AsSpan().SequenceEqual(manifestSha256))
            {
                return null;
            }

            var sameFile = reader.ReadUInt64() == manifestFile.Device & reader.ReadUInt64() == manifestFile.Inode;
            var header = JsonSerializer.Deserialize(reader.ReadBytes(reader.ReadInt32()), ManifestJsonContext.Default.BackupManifest);
            var count = reader.ReadInt32();
            if (header is null || count < 0 || count > body)
            {
                return null;
            }

            var entries = new ManifestEntry[count];
            var inodes = new Dictionary<string, ulong>(sameFile ? count : 0, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var (entry, inode) = ReadEntry(reader);
                entries[i] = entry;
                if (sameFile && inode != 0)
                {
                    inodes[entry.Path] = inode;
                }
            }

            return reader.BaseStream.Position == body ? (header with { Entries = entries }, inodes) : null;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or JsonException or FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    private static void WriteEntry(BinaryWriter writer, ManifestEntry entry, ulong inode)
    {
        var has = (entry.Sha256 is null ? 0 : Has.Sha256) | (entry.LinkTarget is null ? 0 : Has.LinkTarget) | (entry.HardLinkTo is null ? 0 : Has.HardLinkTo)
            | (entry.Xattrs is null ? 0 : Has.Xattrs) | (entry.Source is null ? 0 : Has.Source);
        writer.Write(entry.Path);
        writer.Write((byte)entry.Kind);
        writer.Write((byte)has);
        writer.Write(entry.Mode);
        writer.Write(entry.Uid);
        writer.Write(entry.Gid);
        writer.Write(entry.MtimeNs);
        writer.Write(entry.Size);
        writer.Write(inode);
        if (entry.Sha256 is { } sha)
        {
            // The manifest's hex, kept as text: a hash the JSON holds in another form would be copied as it is.
            writer.Write(sha);
        }

        if (entry.LinkTarget is { } target)
        {
            writer.Write(target);
        }

        if (entry.HardLinkTo is { } peer)
        {
            writer.Write(peer);
        }

        if (entry.Xattrs is { } xattrs)
        {
            writer.Write(xattrs.Count);
            foreach (var (name, value) in xattrs)
            {
                writer.Write(name);
                writer.Write(value);
            }
        }

        if (entry.Source is { } source)
        {
            writer.Write(source.Device);
            writer.Write(source.Inode);
            writer.Write(source.CtimeNs);
        }
    }

    private static (ManifestEntry Entry, ulong Inode) ReadEntry(BinaryReader reader)
    {
        var path = reader.ReadString();
        var kind = (EntryKind)reader.ReadByte();
        if (!Enum.IsDefined(kind))
        {
            throw new FormatException($"entry kind {(int)kind}");
        }

        var has = (Has)reader.ReadByte();
        var mode = reader.ReadInt32();
        var uid = reader.ReadInt32();
        var gid = reader.ReadInt32();
        var mtime = reader.ReadInt64();
        var size = reader.ReadInt64();
        var inode = reader.ReadUInt64();
        var sha = has.HasFlag(Has.Sha256) ? reader.ReadString() : null;
        var target = has.HasFlag(Has.LinkTarget) ? reader.ReadString() : null;
        var peer = has.HasFlag(Has.HardLinkTo) ? reader.ReadString() : null;
        Dictionary<string, string>? xattrs = null;
        if (has.HasFlag(Has.Xattrs))
        {
            var count = reader.ReadInt32();
            if (count < 0 || count > 1 << 16)
            {
                throw new FormatException($"{count} extended attributes");
            }

            xattrs = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                xattrs.Add(reader.ReadString(), reader.ReadString());
            }
        }

        var source = has.HasFlag(Has.Source) ? new SourceIdentity(reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadInt64()) : null;
        var entry = new ManifestEntry
        {
            Path = path, Kind = kind, Mode = mode, Uid = uid, Gid = gid, MtimeNs = mtime, Size = size,
            Sha256 = sha, LinkTarget = target, HardLinkTo = peer, Xattrs = xattrs, Source = source,
        };
        return (entry, inode);
    }
}
