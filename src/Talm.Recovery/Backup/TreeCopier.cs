using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// Copies whole trees into a backup keeping owner, mode, nanosecond times, symlinks, hard links and
/// extended attributes, hashing every file as it is written. Scanning comes first (so the space
/// estimate knows exactly which bytes must be written), then directories and symlinks, then files in
/// parallel (cloned when the filesystem allows, hard-linked from the previous backup when unchanged),
/// then hard links, then directory metadata deepest first so their mtimes stick.
/// </summary>
public sealed class TreeCopier
{
    private const int BufferSize = 1 << 20;
    private const long WritebackChunk = 8L << 20;
    private const int DirectBufferSize = 4 << 20;
    private const int DirectAlignment = 4096;

    private readonly ReuseIndex? _reuse;
    private readonly ProgressCounters _counters;
    private readonly ILogger _logger;
    private readonly CopyTuning _tuning;
    private readonly List<Item> _items = [];
    private readonly Dictionary<(ulong, ulong), string> _firstLink = [];
    private volatile bool _cloneUnsupported;
    private volatile bool _directUnsupported;

    public TreeCopier(ReuseIndex? reuse, ProgressCounters counters, ILogger logger, CopyTuning tuning)
    {
        ArgumentNullException.ThrowIfNull(tuning);
        _reuse = reuse;
        _counters = counters;
        _logger = logger;
        _tuning = tuning;
    }

    /// <summary>Bytes of regular files that must be written (not reused from the previous backup, not hard links).</summary>
    public long BytesToWrite { get; private set; }

    /// <summary>Bytes of all regular files scanned, each inode once.</summary>
    public long BytesScanned { get; private set; }

    public long FilesScanned { get; private set; }

    public long ReusedFiles => _reusedFiles;

    private long _reusedFiles;

    public int SkippedSpecialFiles { get; private set; }

    /// <summary>Files the scan found unchanged since the previous backup.</summary>
    public long ReusableFiles { get; private set; }

    /// <summary>Records every entry under <paramref name="sourceRoot"/>, to be placed at <paramref name="destRelative"/> in the backup.</summary>
    public void Scan(string sourceRoot, string destRelative)
    {
        var rootStatus = Posix.TryLStat(sourceRoot);
        if (rootStatus is null)
        {
            _logger.LogWarning("{Source} does not exist; backing it up as an empty directory", sourceRoot);
            _items.Add(new Item(sourceRoot, destRelative, SyntheticDirectory(), ItemAction.Directory, null, null, null));
            return;
        }

        if (rootStatus.Kind != FileKind.Directory)
        {
            throw new IOException($"{sourceRoot} is not a directory; check --host-root");
        }

        var pending = new Stack<(string Source, string Rel, FileStatus Status)>();
        pending.Push((sourceRoot, destRelative, rootStatus));
        while (pending.Count > 0)
        {
            var (source, rel, status) = pending.Pop();
            _items.Add(new Item(source, rel, status, ItemAction.Directory, null, null, null));
            IEnumerable<string> children;
            try
            {
                children = Directory.EnumerateFileSystemEntries(source).Order(StringComparer.Ordinal).ToList();
            }
            catch (DirectoryNotFoundException)
            {
                continue; // removed while we walked (kubelet volumes come and go)
            }

            var subdirectories = new List<(string, string, FileStatus)>();
            foreach (var child in children)
            {
                var childStatus = Posix.TryLStat(child);
                if (childStatus is null)
                {
                    continue;
                }

                var childRel = rel + "/" + Path.GetFileName(child);
                switch (childStatus.Kind)
                {
                    case FileKind.Directory:
                        subdirectories.Add((child, childRel, childStatus));
                        break;
                    case FileKind.Symlink:
                        var target = new FileInfo(child).LinkTarget;
                        if (target is not null)
                        {
                            _items.Add(new Item(child, childRel, childStatus, ItemAction.Symlink, target, null, null));
                        }

                        break;
                    case FileKind.Regular:
                        AddFile(child, childRel, childStatus);
                        break;
                    default:
                        SkippedSpecialFiles++;
                        _logger.LogDebug("Skipping special file {Path}", child);
                        break;
                }
            }

            for (var i = subdirectories.Count - 1; i >= 0; i--)
            {
                pending.Push(subdirectories[i]);
            }
        }
    }

    private void AddFile(string source, string rel, FileStatus status)
    {
        if (status.LinkCount > 1)
        {
            if (_firstLink.TryGetValue((status.Device, status.Inode), out var primary))
            {
                _items.Add(new Item(source, rel, status, ItemAction.HardLink, null, primary, null));
                return;
            }

            _firstLink[(status.Device, status.Inode)] = rel;
        }

        FilesScanned++;
        BytesScanned += status.Size;
        var previous = _reuse?.Find(status);
        if (previous is null)
        {
            BytesToWrite += status.Size;
        }
        else
        {
            ReusableFiles++;
        }

        _items.Add(new Item(source, rel, status, previous is null ? ItemAction.Copy : ItemAction.Reuse, null, null, previous));
    }

    /// <summary>Creates everything scanned under <paramref name="backupRoot"/>; returns the manifest entries of what was written.</summary>
    public async Task<IReadOnlyList<ManifestEntry>> CopyAsync(string backupRoot, CancellationToken cancellationToken)
    {
        _counters.AddTotals(BytesScanned, FilesScanned);
        var entries = new ConcurrentDictionary<string, ManifestEntry>(StringComparer.Ordinal);
        var destinationDevice = Posix.LStat(backupRoot).Device;

        foreach (var item in _items.Where(i => i.Action == ItemAction.Directory))
        {
            Directory.CreateDirectory(Path.Combine(backupRoot, item.Rel));
        }

        foreach (var item in _items.Where(i => i.Action == ItemAction.Symlink))
        {
            var dest = Path.Combine(backupRoot, item.Rel);
            Posix.Symlink(item.LinkTarget!, dest);
            var xattrs = ReadXattrs(item.Source);
            ApplyMetadata(dest, item.Status, xattrs, isSymlink: true);
            entries[item.Rel] = Entry(item, EntryKind.Symlink, xattrs) with { LinkTarget = item.LinkTarget };
        }

        // Two lanes at once: a few workers stream the large files (throughput-bound; more streams
        // only make the disk seek), many workers take the small ones (latency-bound on a cold cache:
        // each is an inode read, a data read and a create, and the disk serves a deep queue well).
        var files = _items.Where(i => i.Action is ItemAction.Copy or ItemAction.Reuse)
            .OrderByDescending(i => i.Status.Size)
            .ToList();
        var large = files.Where(i => i.Action == ItemAction.Copy && i.Status.Size >= _tuning.LargeFileThreshold).ToList();
        var small = files.Where(i => !(i.Action == ItemAction.Copy && i.Status.Size >= _tuning.LargeFileThreshold)).ToList();
        void CopyOne(Item item)
        {
            var entry = item.Action == ItemAction.Reuse
                ? TryReuse(backupRoot, item) ?? CopyFile(backupRoot, item, destinationDevice)
                : CopyFile(backupRoot, item, destinationDevice);
            if (entry is not null)
            {
                entries[item.Rel] = entry;
            }

            _counters.AddFile();
        }

        await Workers.RunAsync([(large, _tuning.LargeFileParallelism), (small, _tuning.SmallFileParallelism)], CopyOne, cancellationToken).ConfigureAwait(false);

        foreach (var item in _items.Where(i => i.Action == ItemAction.HardLink))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entries.TryGetValue(item.HardLinkPrimary!, out var primary))
            {
                Posix.Link(Path.Combine(backupRoot, item.HardLinkPrimary!), Path.Combine(backupRoot, item.Rel));
                entries[item.Rel] = primary with { Path = item.Rel, HardLinkTo = item.HardLinkPrimary, Source = null };
            }
            else
            {
                // The first name vanished before it was copied: this name carries the content alone.
                var entry = CopyFile(backupRoot, item, destinationDevice);
                if (entry is not null)
                {
                    entries[item.Rel] = entry;
                }
            }
        }

        for (var i = _items.Count - 1; i >= 0; i--)
        {
            var item = _items[i];
            if (item.Action != ItemAction.Directory)
            {
                continue;
            }

            var dest = Path.Combine(backupRoot, item.Rel);
            var xattrs = Posix.TryLStat(item.Source) is null ? null : ReadXattrs(item.Source);
            ApplyMetadata(dest, item.Status, xattrs, isSymlink: false);
            entries[item.Rel] = Entry(item, EntryKind.Directory, xattrs);
        }

        return [.. entries.Values];
    }

    private ManifestEntry? TryReuse(string backupRoot, Item item)
    {
        var previous = item.Previous!;
        var dest = Path.Combine(backupRoot, item.Rel);
        try
        {
            Posix.Link(Path.Combine(_reuse!.PreviousRoot, previous.Path), dest);
        }
        catch (NativeException e)
        {
            _logger.LogDebug("Cannot link {Path} from the previous backup ({Error}); copying it", item.Rel, e.Message);
            return null;
        }

        // A previous copy whose size, mode, owner or mtime no longer match its manifest was damaged
        // since: copy afresh rather than carry the damage into the new backup.
        var linked = Posix.LStat(dest);
        if (linked.Size != previous.Size || linked.Permissions != previous.Mode || linked.Uid != previous.Uid || linked.Gid != previous.Gid || linked.MtimeNs != previous.MtimeNs)
        {
            _logger.LogWarning("{Path} in the previous backup no longer matches its manifest; copying it again", previous.Path);
            File.Delete(dest);
            return null;
        }

        Interlocked.Increment(ref _reusedFiles);
        _counters.AddBytes(previous.Size);
        return previous with { Path = item.Rel, HardLinkTo = null };
    }

    private ManifestEntry? CopyFile(string backupRoot, Item item, ulong destinationDevice)
    {
        var dest = Path.Combine(backupRoot, item.Rel);
        // A small file needs a small buffer: 16 workers each holding 1 MiB would count in the peak memory.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(item.Status.Size + 1, 4096, BufferSize));
        try
        {
            string sha;
            long size;
            try
            {
                (sha, size) = CopyAndHash(item.Source, dest, item.Status, buffer, tryClone: item.Status.Device == destinationDevice);
            }
            catch (FileNotFoundException)
            {
                _logger.LogDebug("{Path} vanished before it was copied", item.Source);
                return null;
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }

            var xattrs = ReadXattrs(item.Source);
            ApplyMetadata(dest, item.Status, xattrs, isSymlink: false);
            return Entry(item, EntryKind.File, xattrs) with
            {
                Size = size,
                Sha256 = sha,
                Source = new SourceIdentity(item.Status.Device, item.Status.Inode, item.Status.CtimeNs),
            };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private (string Sha, long Size) CopyAndHash(string source, string dest, FileStatus status, byte[] buffer, bool tryClone)
    {
        using var input = File.OpenHandle(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        if (_tuning.DirectWrites && status.Size >= _tuning.LargeFileThreshold && !_directUnsupported && !(tryClone && !_cloneUnsupported))
        {
            var direct = TryCopyDirect(input, dest);
            if (direct is not null)
            {
                return direct.Value;
            }
        }

        using var output = File.OpenHandle(dest, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, FileOptions.None);
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

        long flushed = 0;
        while ((read = RandomAccess.Read(input, buffer, offset)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            RandomAccess.Write(output, new ReadOnlySpan<byte>(buffer, 0, read), offset);
            offset += read;
            _counters.AddBytes(read);
            if (_tuning.EarlyWriteback && offset - flushed >= WritebackChunk)
            {
                // Hand the disk what is written so far; the final syncfs then has little left to wait for.
                Posix.StartWriteback(output, flushed, offset - flushed);
                flushed = offset;
            }
        }

        if (_tuning.EarlyWriteback && offset > flushed)
        {
            Posix.StartWriteback(output, flushed, offset - flushed);
        }

        if (offset < status.Size)
        {
            // The file shrank while we copied it; keep exactly what we read.
            RandomAccess.SetLength(output, offset);
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), offset);
    }

    /// <summary>
    /// A large file written around the page cache (O_DIRECT) from an aligned buffer: no copy into
    /// fresh cache pages (the costliest part of a cold copy here) and no dirty data left for the
    /// final syncfs, which still makes the file's metadata and the disk's cache durable. The
    /// unaligned tail is written through the cache. Null when the filesystem refuses O_DIRECT.
    /// </summary>
    private unsafe (string Sha, long Size)? TryCopyDirect(SafeFileHandle input, string dest)
    {
        using var output = Posix.TryCreateDirect(dest);
        if (output is null)
        {
            _directUnsupported = true;
            return null;
        }

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

    private static IReadOnlyDictionary<string, byte[]>? ReadXattrs(string path)
    {
        var xattrs = Posix.GetXattrs(path);
        return xattrs.Count == 0 ? null : xattrs;
    }

    /// <summary>Owner, then mode (chown clears setuid bits), then xattrs (chown drops security.capability), then times.</summary>
    internal static void ApplyMetadata(string path, FileStatus status, IReadOnlyDictionary<string, byte[]>? xattrs, bool isSymlink)
    {
        Posix.LChown(path, status.Uid, status.Gid);
        if (!isSymlink)
        {
            Posix.Chmod(path, status.Permissions);
        }

        if (xattrs is not null)
        {
            foreach (var (name, value) in xattrs)
            {
                Posix.SetXattr(path, name, value);
            }
        }

        Posix.SetTimes(path, status.AtimeNs, status.MtimeNs);
    }

    private static ManifestEntry Entry(Item item, EntryKind kind, IReadOnlyDictionary<string, byte[]>? xattrs) => new()
    {
        Path = item.Rel,
        Kind = kind,
        Mode = kind == EntryKind.Symlink ? 0x1FF : item.Status.Permissions,
        Uid = item.Status.Uid,
        Gid = item.Status.Gid,
        MtimeNs = item.Status.MtimeNs,
        Xattrs = xattrs?.ToDictionary(p => p.Key, p => Convert.ToBase64String(p.Value), StringComparer.Ordinal),
    };

    private static FileStatus SyntheticDirectory() => new()
    {
        Device = 0, Inode = 0, LinkCount = 1, Mode = 0x4000 | 0x1ED, Uid = 0, Gid = 0, Size = 0, MtimeNs = 0, CtimeNs = 0, AtimeNs = 0,
    };

    private enum ItemAction
    {
        Directory,
        Symlink,
        Copy,
        Reuse,
        HardLink,
    }

    private sealed record Item(string Source, string Rel, FileStatus Status, ItemAction Action, string? LinkTarget, string? HardLinkPrimary, ManifestEntry? Previous);
}
