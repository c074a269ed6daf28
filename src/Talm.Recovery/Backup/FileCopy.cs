using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>The copy of one regular file's content, hashed as it is written, and its metadata, set through the open descriptor.</summary>
internal sealed class FileCopy
{
    private const int BufferSize = 1 << 20;
    private const long WritebackChunk = 8L << 20;
    private const int DirectBufferSize = 4 << 20;
    private const int DirectAlignment = 4096;

    private readonly ProgressCounters _counters;
    private readonly CopyTuning _tuning;
    private volatile bool _cloneUnsupported;
    private volatile bool _directUnsupported;

    public FileCopy(ProgressCounters counters, CopyTuning tuning)
    {
        _counters = counters;
        _tuning = tuning;
    }

    /// <summary>What was written: the content's hash and size, the source's extended attributes, and the copy's inode.</summary>
    public sealed record Result(string Sha256, long Size, IReadOnlyDictionary<string, byte[]>? Xattrs, ulong Inode);

    /// <summary>Copies <paramref name="source"/> to the new file <paramref name="dest"/> with the owner, mode and times of <paramref name="status"/>.</summary>
    public Result Copy(string source, string dest, FileStatus status, bool tryClone)
    {
        var large = status.Size >= _tuning.LargeFileThreshold;
        using var input = Posix.OpenRead(source, sequential: large);
        // Around the page cache, whether the source is cached or not: the backup's copy is never read
        // again, and 400 MiB of it in the cache would push out what the node's etcd and API server
        // use. Fresh cache pages are not free either: in a VM whose host takes free memory back they
        // cost more than the write itself (bench/backup/README.md, "The memory the copy writes into").
        if (_tuning.DirectWrites && large && !_directUnsupported && !(tryClone && !_cloneUnsupported))
        {
            using var direct = Posix.TryCreateDirect(dest);
            if (direct is null)
            {
                _directUnsupported = true;
            }
            else
            {
                var (sha, size) = CopyDirect(input, direct, source, dest);
                return Finish(input, direct, source, dest, status, sha, size);
            }
        }

        using var output = Posix.CreateNew(dest);
        var (hash, length) = CopyBuffered(input, output, source, dest, status, tryClone, large);
        return Finish(input, output, source, dest, status, hash, length);
    }

    private static Result Finish(SafeFileHandle input, SafeFileHandle output, string source, string dest, FileStatus status, string sha, long size)
    {
        if (size < status.Size)
        {
            // The file shrank while we copied it; keep exactly what we read.
            Posix.Truncate(output, size, dest);
        }

        var xattrs = Posix.GetXattrs(input, source);
        Posix.SetMetadata(output, dest, status, xattrs);
        return new Result(sha, size, xattrs, Posix.FStat(output, dest).Inode);
    }

    private (string Sha, long Size) CopyBuffered(SafeFileHandle input, SafeFileHandle output, string source, string dest, FileStatus status, bool tryClone, bool large)
    {
        // A small file needs a small buffer (many workers each holding 1 MiB would count in the peak
        // memory), one byte larger than the file: a short read is then the end of the file, and a
        // file read in one piece is hashed in one call.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(status.Size + 1, 4096, BufferSize));
        try
        {
            if (tryClone && !_cloneUnsupported && status.Size > 0)
            {
                if (Posix.TryClone(input, output))
                {
                    return HashOnly(input, source, buffer);
                }

                _cloneUnsupported = true;
            }

            var read = Posix.Read(input, buffer, 0, source);
            if (read < buffer.Length)
            {
                Posix.Write(output, buffer.AsSpan(0, read), 0, dest);
                _counters.AddBytes(read);
                if (large && _tuning.EarlyWriteback)
                {
                    Posix.StartWriteback(output);
                }

                return (Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, read))), read);
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var writeback = large ? _tuning.EarlyWriteback : _tuning.SmallFileWriteback;
            long offset = 0;
            long flushed = 0;
            do
            {
                hash.AppendData(buffer, 0, read);
                Posix.Write(output, buffer.AsSpan(0, read), offset, dest);
                offset += read;
                _counters.AddBytes(read);
                if (writeback && offset - flushed >= WritebackChunk)
                {
                    // Hand the disk what is written so far; the final syncfs then has little left to wait for.
                    Posix.StartWriteback(output, flushed, offset - flushed);
                    flushed = offset;
                }
            }
            while ((read = Posix.Read(input, buffer, offset, source)) > 0);

            if (writeback && offset > flushed)
            {
                Posix.StartWriteback(output, flushed, offset - flushed);
            }

            return (Convert.ToHexStringLower(hash.GetHashAndReset()), offset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private (string Sha, long Size) HashOnly(SafeFileHandle input, string source, byte[] buffer)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        int read;
        while ((read = Posix.Read(input, buffer, offset, source)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            offset += read;
            _counters.AddBytes(read);
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), offset);
    }

    /// <summary>
    /// A large file written around the page cache (O_DIRECT) from an aligned buffer: no copy into
    /// fresh cache pages and no dirty data left for the final syncfs, which still makes the file's
    /// metadata and the disk's cache durable. The unaligned tail is written through the cache.
    /// </summary>
    private unsafe (string Sha, long Size) CopyDirect(SafeFileHandle input, SafeFileHandle output, string source, string dest)
    {
        var memory = NativeMemory.AlignedAlloc(DirectBufferSize, DirectAlignment);
        try
        {
            var buffer = new Span<byte>(memory, DirectBufferSize);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset = 0;
            var direct = true;
            int read;
            while ((read = Posix.Read(input, buffer, offset, source)) > 0)
            {
                hash.AppendData(buffer[..read]);
                var aligned = direct ? read - (read % DirectAlignment) : 0;
                if (aligned > 0)
                {
                    Posix.Write(output, buffer[..aligned], offset, dest);
                }

                if (aligned < read)
                {
                    if (direct)
                    {
                        Posix.EndDirectWrites(output);
                        direct = false;
                    }

                    Posix.Write(output, buffer[aligned..read], offset + aligned, dest);
                }

                offset += read;
                _counters.AddBytes(read);
            }

            if (!direct && _tuning.EarlyWriteback)
            {
                Posix.StartWriteback(output);
            }

            return (Convert.ToHexStringLower(hash.GetHashAndReset()), offset);
        }
        finally
        {
            NativeMemory.AlignedFree(memory);
        }
    }
}
