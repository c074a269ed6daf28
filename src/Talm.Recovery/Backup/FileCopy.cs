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

    /// <summary>What was written: the content's hash and size, the new file's status, the source's extended attributes.</summary>
    public sealed record Result(string Sha256, long Size, FileStatus Written, IReadOnlyDictionary<string, byte[]>? Xattrs);

    /// <summary>Copies <paramref name="source"/> to the new file <paramref name="dest"/> with the owner, mode and times of <paramref name="status"/>.</summary>
    public Result Copy(string source, string dest, FileStatus status, bool tryClone)
    {
        var large = status.Size >= _tuning.LargeFileThreshold;
        using var input = File.OpenHandle(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, large ? FileOptions.SequentialScan : FileOptions.None);
        if (_tuning.DirectWrites && large && !_directUnsupported && !(tryClone && !_cloneUnsupported))
        {
            using var direct = Posix.TryCreateDirect(dest);
            if (direct is null)
            {
                _directUnsupported = true;
            }
            else
            {
                var (sha, size) = CopyDirect(input, direct);
                return Finish(input, direct, source, dest, status, sha, size);
            }
        }

        using var output = File.OpenHandle(dest, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, FileOptions.None);
        var (hash, length) = CopyBuffered(input, output, status, tryClone, large);
        return Finish(input, output, source, dest, status, hash, length);
    }

    private Result Finish(SafeFileHandle input, SafeFileHandle output, string source, string dest, FileStatus status, string sha, long size)
    {
        if (size < status.Size)
        {
            // The file shrank while we copied it; keep exactly what we read.
            RandomAccess.SetLength(output, size);
        }

        var xattrs = Posix.GetXattrs(input, source);
        Posix.SetMetadata(output, dest, status, xattrs);
        return new Result(sha, size, Posix.FStat(output, dest), xattrs);
    }

    private (string Sha, long Size) CopyBuffered(SafeFileHandle input, SafeFileHandle output, FileStatus status, bool tryClone, bool large)
    {
        // A small file needs a small buffer: many workers each holding 1 MiB would count in the peak memory.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(status.Size + 1, 4096, BufferSize));
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset = 0;
            int read;
            if (tryClone && !_cloneUnsupported && status.Size > 0)
            {
                if (Posix.TryClone(input, output))
                {
                    while ((read = RandomAccess.Read(input, buffer, offset)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        offset += read;
                        _counters.AddBytes(read);
                    }

                    return (Convert.ToHexStringLower(hash.GetHashAndReset()), offset);
                }

                _cloneUnsupported = true;
            }

            var writeback = large ? _tuning.EarlyWriteback : _tuning.SmallFileWriteback;
            long flushed = 0;
            while ((read = RandomAccess.Read(input, buffer, offset)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                RandomAccess.Write(output, new ReadOnlySpan<byte>(buffer, 0, read), offset);
                offset += read;
                _counters.AddBytes(read);
                if (writeback && offset - flushed >= WritebackChunk)
                {
                    // Hand the disk what is written so far; the final syncfs then has little left to wait for.
                    Posix.StartWriteback(output, flushed, offset - flushed);
                    flushed = offset;
                }
            }

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

    /// <summary>
    /// A large file written around the page cache (O_DIRECT) from an aligned buffer: no copy into
    /// fresh cache pages and no dirty data left for the final syncfs, which still makes the file's
    /// metadata and the disk's cache durable. The unaligned tail is written through the cache.
    /// </summary>
    private unsafe (string Sha, long Size) CopyDirect(SafeFileHandle input, SafeFileHandle output)
    {
        var memory = NativeMemory.AlignedAlloc(DirectBufferSize, DirectAlignment);
        try
        {
            var buffer = new Span<byte>(memory, DirectBufferSize);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset = 0;
            var direct = true;
            int read;
            while ((read = RandomAccess.Read(input, buffer, offset)) > 0)
            {
                hash.AppendData(buffer[..read]);
                var aligned = direct ? read - (read % DirectAlignment) : 0;
                if (aligned > 0)
                {
                    RandomAccess.Write(output, buffer[..aligned], offset);
                }

                if (aligned < read)
                {
                    if (direct)
                    {
                        Posix.EndDirectWrites(output);
                        direct = false;
                    }

                    RandomAccess.Write(output, buffer[aligned..read], offset + aligned);
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
