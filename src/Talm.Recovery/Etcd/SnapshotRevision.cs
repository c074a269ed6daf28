using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Talm.Recovery.Etcd;

/// <summary>
/// Reads, from an etcd snapshot file (a bbolt database), the revision etcd will serve once restored from it:
/// the main revision of the last entry of the <c>key</c> bucket, or the finished compaction's if higher (as
/// etcd's mvcc store computes it on start). The status call made before a snapshot cannot tell it: etcd keeps
/// writing while the snapshot streams. Only the right-most path of the B+tree is read, a few pages.
/// </summary>
public static class SnapshotRevision
{
    private const uint Magic = 0xED0CDAED;
    private const ushort BranchPage = 0x01;
    private const ushort LeafPage = 0x02;
    private const uint BucketLeaf = 0x01;
    private const int PageHeader = 16;
    private const int ElementSize = 16;

    /// <summary>The snapshot's revision; throws <see cref="InvalidDataException"/> when the file is not a bbolt database etcd wrote.</summary>
    public static long Read(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var db = new Bolt(file, path);
        var keys = db.FindBucket(db.Root, "key"u8) ?? throw new InvalidDataException($"{path}: no 'key' bucket; not an etcd v3 database");
        long revision = db.LastKey(keys) is { Length: >= 8 } last ? BinaryPrimitives.ReadInt64BigEndian(last) : 1;
        if (db.FindBucket(db.Root, "meta"u8) is { } meta && db.Get(meta, "finishedCompactRev"u8) is { Length: >= 8 } compacted)
        {
            revision = Math.Max(revision, BinaryPrimitives.ReadInt64BigEndian(compacted));
        }

        return revision;
    }

    /// <summary>A bucket's tree: a page of the file, or (root 0) a page stored inline in its parent's value.</summary>
    private readonly record struct Tree(ulong Root, byte[]? Inline);

    private sealed class Bolt
    {
        private readonly SafeFileHandle _file;
        private readonly string _path;
        private readonly int _pageSize;

        public Bolt(SafeFileHandle file, string path)
        {
            _file = file;
            _path = path;
            var first = ReadAt(0, 4096);
            var pageSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(first.AsSpan(PageHeader + 8));
            if (BinaryPrimitives.ReadUInt32LittleEndian(first.AsSpan(PageHeader)) != Magic || pageSize < 512 || pageSize > 1 << 20)
            {
                throw new InvalidDataException($"{path} is not a bbolt database (bad magic or page size)");
            }

            _pageSize = pageSize;

            // Two meta pages; the valid one with the higher transaction id is current.
            Meta? best = null;
            foreach (var page in new[] { 0L, 1L })
            {
                var meta = ParseMeta(ReadAt(page * pageSize, pageSize));
                if (meta is not null && (best is null || meta.Value.TxId > best.Value.TxId))
                {
                    best = meta;
                }
            }

            Root = new Tree(best?.Root ?? throw new InvalidDataException($"{path}: neither bbolt meta page is valid"), null);
        }

        public Tree Root { get; }

        public Tree? FindBucket(Tree tree, ReadOnlySpan<byte> name)
        {
            var (flags, value) = Find(tree, name);
            if (value is null || (flags & BucketLeaf) == 0)
            {
                return null;
            }

            var root = BinaryPrimitives.ReadUInt64LittleEndian(value);
            return new Tree(root, root == 0 ? value[16..] : null);
        }

        public byte[]? Get(Tree tree, ReadOnlySpan<byte> key) => Find(tree, key) is { Value: { } v, Flags: var f } && (f & BucketLeaf) == 0 ? v : null;

        public byte[]? LastKey(Tree tree)
        {
            var (page, offset) = PageOf(tree);
            while (true)
            {
                var (flags, count) = Header(page, offset);
                if (count == 0)
                {
                    return null;
                }

                var element = offset + PageHeader + ((count - 1) * ElementSize);
                if ((flags & BranchPage) != 0)
                {
                    (page, offset) = (ReadPage(BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(element + 8))), 0);
                    continue;
                }

                return LeafKey(page, element);
            }
        }

        private (uint Flags, byte[]? Value) Find(Tree tree, ReadOnlySpan<byte> key)
        {
            var (page, offset) = PageOf(tree);
            while (true)
            {
                var (flags, count) = Header(page, offset);
                if ((flags & BranchPage) != 0)
                {
                    // The last element whose key is not after the one sought holds it.
                    var chosen = 0;
                    for (var i = 0; i < count; i++)
                    {
                        var element = offset + PageHeader + (i * ElementSize);
                        var pos = (int)BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(element));
                        var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(element + 4));
                        if (page.AsSpan(element + pos, size).SequenceCompareTo(key) > 0)
                        {
                            break;
                        }

                        chosen = i;
                    }

                    var child = offset + PageHeader + (chosen * ElementSize);
                    (page, offset) = (ReadPage(BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(child + 8))), 0);
                    continue;
                }

                if ((flags & LeafPage) == 0)
                {
                    throw new InvalidDataException($"{_path}: page of unexpected kind {flags:x} inside a bucket");
                }

                for (var i = 0; i < count; i++)
                {
                    var element = offset + PageHeader + (i * ElementSize);
                    if (LeafKey(page, element).AsSpan().SequenceEqual(key))
                    {
                        var elementFlags = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(element));
                        var pos = (int)BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(element + 4));
                        var keySize = (int)BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(element + 8));
                        var valueSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(element + 12));
                        return (elementFlags, page.AsSpan(element + pos + keySize, valueSize).ToArray());
                    }
                }

                return (0, null);
            }
        }

        private static byte[] LeafKey(byte[] page, int element)
        {
            var pos = (int)BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(element + 4));
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(element + 8));
            return page.AsSpan(element + pos, size).ToArray();
        }

        private static (ushort Flags, int Count) Header(byte[] page, int offset) =>
            (BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(offset + 8)), BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(offset + 10)));

        private (byte[] Page, int Offset) PageOf(Tree tree) => tree.Inline is { } inline ? (inline, 0) : (ReadPage(tree.Root), 0);

        private byte[] ReadPage(ulong id)
        {
            var start = checked((long)id * _pageSize);
            var header = ReadAt(start, PageHeader);
            var overflow = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
            return ReadAt(start, checked((int)((overflow + 1L) * _pageSize)));
        }

        private byte[] ReadAt(long offset, int length)
        {
            var buffer = new byte[length];
            var done = 0;
            while (done < length)
            {
                var read = RandomAccess.Read(_file, buffer.AsSpan(done), offset + done);
                if (read == 0)
                {
                    throw new InvalidDataException($"{_path} ends inside page data at byte {offset + done}; the database is truncated");
                }

                done += read;
            }

            return buffer;
        }

        private static Meta? ParseMeta(byte[] page)
        {
            var meta = page.AsSpan(PageHeader, 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(meta) != Magic || BinaryPrimitives.ReadUInt64LittleEndian(meta[56..]) != Fnv64a(meta[..56]))
            {
                return null;
            }

            return new Meta(BinaryPrimitives.ReadUInt64LittleEndian(meta[16..]), BinaryPrimitives.ReadUInt64LittleEndian(meta[48..]));
        }

        private static ulong Fnv64a(ReadOnlySpan<byte> data)
        {
            var hash = 0xcbf29ce484222325UL;
            foreach (var b in data)
            {
                hash = (hash ^ b) * 0x100000001b3UL;
            }

            return hash;
        }

        private readonly record struct Meta(ulong Root, ulong TxId);
    }
}
