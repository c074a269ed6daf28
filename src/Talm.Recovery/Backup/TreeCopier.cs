using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// Copies whole trees into a backup keeping owner, mode, nanosecond times, symlinks, hard links and
/// extended attributes, hashing every file as it is written. Scanning comes first (so the space
/// estimate knows exactly which bytes must be written), then directories, then files and symlinks in
/// parallel (cloned when the filesystem allows, hard-linked from the previous backup when unchanged,
/// or kept as they are when the recycled tree already links the right inode), then hard links, then
/// directory metadata once every entry is in place, so their mtimes stick.
/// </summary>
public sealed partial class TreeCopier
{
    private readonly Task<ReuseIndex?> _reuseSource;
    private ReuseIndex? _reuse;
    private bool _reuseKnown;
    private readonly ProgressCounters _counters;
    private readonly ILogger _logger;
    private readonly CopyTuning _tuning;
    private readonly FileCopy _fileCopy;
    private readonly List<Item> _items = [];
    private readonly Dictionary<(ulong, ulong), string> _firstLink = [];
    private readonly ConcurrentDictionary<string, byte> _sharedWithPrevious = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ulong> _copyInodes = new(StringComparer.Ordinal);
    private RecycledTree _recycled = RecycledTree.None;
    private long _reusedFiles;
    private long _keptInPlace;

    public TreeCopier(ReuseIndex? reuse, ProgressCounters counters, ILogger logger, CopyTuning tuning)
        : this(Task.FromResult(reuse), counters, logger, tuning)
    {
    }

    /// <summary>A copier whose reuse index may still be in the making: it is awaited once the trees are listed, before they are walked.</summary>
    public TreeCopier(Task<ReuseIndex?> reuse, ProgressCounters counters, ILogger logger, CopyTuning tuning)
    {
        ArgumentNullException.ThrowIfNull(reuse);
        ArgumentNullException.ThrowIfNull(tuning);
        _reuseSource = reuse;
        _counters = counters;
        _logger = logger;
        _tuning = tuning;
        _fileCopy = new FileCopy(counters, tuning);
    }

    /// <summary>Bytes of regular files that must be written (not reused from the previous backup, not hard links).</summary>
    public long BytesToWrite { get; private set; }

    /// <summary>Bytes of all regular files scanned, each inode once.</summary>
    public long BytesScanned { get; private set; }

    public long FilesScanned { get; private set; }

    /// <summary>Files taken from the previous backup (linked or kept in place) instead of copied.</summary>
    public long ReusedFiles => Interlocked.Read(ref _reusedFiles);

    /// <summary>Files and symlinks the recycled tree already held with the right inode (no write at all).</summary>
    public long KeptInPlace => Interlocked.Read(ref _keptInPlace);

    public int SkippedSpecialFiles { get; private set; }

    /// <summary>Files the scan found unchanged since the previous backup.</summary>
    public long ReusableFiles { get; private set; }

    /// <summary>Entry path to the inode that holds its copy in the new backup (files and symlinks placed by <see cref="CopyAsync"/>), for its <see cref="ManifestIndex"/>.</summary>
    public IReadOnlyDictionary<string, ulong> CopyInodes => _copyInodes;

    /// <summary>Paths in the previous backup whose inode the new one links (filled by <see cref="CopyAsync"/>).</summary>
    public IReadOnlySet<string> SharedWithPrevious => _sharedWithPrevious.Keys.ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Takes over a recycled generation directory, listed as <paramref name="survey"/> and now at <paramref name="backupRoot"/>:
    /// keeps its directories and names where the scanned trees (and <paramref name="generatedDirectories"/>) want them,
    /// removes the rest. Call before anything else is written into <paramref name="backupRoot"/>.
    /// </summary>
    internal void TakeOver(string backupRoot, RecycledTree.Survey survey, IEnumerable<string> generatedDirectories)
    {
        var wanted = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var item in _items)
        {
            wanted[item.Rel] = item.Action == ItemAction.Directory;
        }

        foreach (var directory in generatedDirectories)
        {
            wanted.TryAdd(directory, true);
        }

        _recycled = RecycledTree.Reconcile(survey, backupRoot, wanted, _tuning.SmallFileParallelism);
        _logger.LogDebug(
            "Recycled tree: {Directories} directories and {Names} names kept, {Removed} entries removed",
            _recycled.DirectoryCount, _recycled.NameCount, _recycled.Removed);
    }

    /// <summary>Creates everything scanned under <paramref name="backupRoot"/>; returns the manifest entries of what was written.</summary>
    public async Task<IReadOnlyList<ManifestEntry>> CopyAsync(string backupRoot, CancellationToken cancellationToken)
    {
        _counters.AddTotals(BytesScanned, FilesScanned);
        var entries = new ConcurrentDictionary<string, ManifestEntry>(StringComparer.Ordinal);
        var destinationDevice = Posix.LStat(backupRoot).Device;

        foreach (var item in _items.Where(i => i.Action == ItemAction.Directory))
        {
            if (!_recycled.HasDirectory(item.Rel))
            {
                Directory.CreateDirectory(Path.Combine(backupRoot, item.Rel));
            }
        }

        // Two lanes at once: a few workers stream the large files (throughput-bound; more streams
        // only make the disk seek), more workers take the small ones and the symlinks (latency-bound
        // on a cold cache: each is an inode read, a data read and a create).
        var work = _items.Where(i => i.Action is ItemAction.File or ItemAction.Symlink)
            .OrderByDescending(i => i.Status.Size)
            .ToList();
        bool IsLarge(Item i) => i.Action == ItemAction.File && i.Previous is null && i.Status.Size >= _tuning.LargeFileThreshold;
        var large = work.Where(IsLarge).ToList();
        var small = work.Where(i => !IsLarge(i)).ToList();
        void PlaceOne(Item item)
        {
            var entry = item.Action == ItemAction.Symlink
                ? PlaceSymlink(backupRoot, item)
                : (item.Previous is null ? null : TryReuse(backupRoot, item)) ?? CopyFile(backupRoot, item, destinationDevice);
            if (entry is not null)
            {
                entries[item.Rel] = entry;
            }

            if (item.Action == ItemAction.File)
            {
                _counters.AddFile();
            }
        }

        await Workers.RunAsync([(large, _tuning.LargeFileParallelism), (small, _tuning.SmallFileParallelism)], PlaceOne, cancellationToken).ConfigureAwait(false);

        foreach (var item in _items.Where(i => i.Action == ItemAction.HardLink))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entries.TryGetValue(item.HardLinkPrimary!, out var primary))
            {
                var dest = Path.Combine(backupRoot, item.Rel);
                var primaryPath = Path.Combine(backupRoot, item.HardLinkPrimary!);
                if (!IsSameInode(item.Rel, primaryPath))
                {
                    ClearName(dest, item.Rel);
                    Posix.Link(primaryPath, dest);
                }

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

        // Every entry of every directory is in place now, so nothing below changes a directory's mtime
        // again and the directories can take their metadata in any order, on all workers at once.
        var directories = _items.Where(i => i.Action == ItemAction.Directory).ToList();
        Workers.Run(directories, _tuning.SmallFileParallelism, item =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var dest = Path.Combine(backupRoot, item.Rel);
            var xattrs = Posix.TryLStat(item.Source) is null ? null : ReadXattrs(item.Source);
            ApplyDirectoryMetadata(dest, item.Status, xattrs, recycled: _recycled.HasDirectory(item.Rel));
            entries[item.Rel] = Entry(item, EntryKind.Directory, xattrs);
        });

        return [.. entries.Values];
    }

    /// <summary>The recycled tree holds <paramref name="rel"/> as another name of <paramref name="other"/>'s inode already.</summary>
    private bool IsSameInode(string rel, string other)
    {
        if (!_recycled.TryGetName(rel, out var present))
        {
            return false;
        }

        var wanted = Posix.TryLStat(other);
        return wanted is not null && present.Status.Inode == wanted.Inode && present.Status.Device == wanted.Device;
    }

    /// <summary>Removes a name the recycled tree holds where something new must be created.</summary>
    private void ClearName(string dest, string rel)
    {
        if (_recycled.HasName(rel))
        {
            Posix.TryUnlink(dest);
        }
    }

    private ManifestEntry PlaceSymlink(string backupRoot, Item item)
    {
        if (item.Previous is not null && TryReuse(backupRoot, item) is { } reused)
        {
            return reused;
        }

        var dest = Path.Combine(backupRoot, item.Rel);
        ClearName(dest, item.Rel);
        Posix.Symlink(item.LinkTarget!, dest);
        var xattrs = ReadXattrs(item.Source);
        ApplyMetadata(dest, item.Status, xattrs, isSymlink: true);
        if (Posix.TryLStat(dest) is { } made)
        {
            _copyInodes[item.Rel] = made.Inode;
        }

        return Entry(item, EntryKind.Symlink, xattrs) with
        {
            LinkTarget = item.LinkTarget,
            Source = new SourceIdentity(item.Status.Device, item.Status.Inode, item.Status.CtimeNs),
        };
    }

    private ManifestEntry? CopyFile(string backupRoot, Item item, ulong destinationDevice)
    {
        var dest = Path.Combine(backupRoot, item.Rel);
        ClearName(dest, item.Rel);
        FileCopy.Result copied;
        try
        {
            copied = _fileCopy.Copy(item.Source, dest, item.Status, tryClone: item.Status.Device == destinationDevice);
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

        _copyInodes[item.Rel] = copied.Inode;
        return Entry(item, EntryKind.File, copied.Xattrs) with
        {
            Size = copied.Size,
            Sha256 = copied.Sha256,
            Source = new SourceIdentity(item.Status.Device, item.Status.Inode, item.Status.CtimeNs),
        };
    }

    private static ManifestEntry Entry(Item item, EntryKind kind, IReadOnlyDictionary<string, byte[]>? xattrs) => new()
    {
        Path = item.Rel,
        Kind = kind,
        Mode = kind == EntryKind.Symlink ? FileModes.All : item.Status.Permissions,
        Uid = item.Status.Uid,
        Gid = item.Status.Gid,
        MtimeNs = item.Status.MtimeNs,
        Xattrs = xattrs?.ToDictionary(p => p.Key, p => Convert.ToBase64String(p.Value), StringComparer.Ordinal),
    };

    private static FileStatus SyntheticDirectory() => new()
    {
        Device = 0, Inode = 0, LinkCount = 1, Mode = 0x4000 | FileModes.Executable, Uid = 0, Gid = 0, Size = 0, MtimeNs = 0, CtimeNs = 0, AtimeNs = 0,
    };

    private enum ItemAction
    {
        Directory,
        Symlink,
        File,
        HardLink,
    }

    private sealed record Item(string Source, string Rel, FileStatus Status, ItemAction Action, string? LinkTarget, string? HardLinkPrimary, ManifestEntry? Previous);
}
