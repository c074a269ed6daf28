using System.Diagnostics;
using System.Security.Cryptography;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// Makes a host tree an exact mirror of a backup tree: contents, owner, mode, mtime, symlinks, hard
/// links and xattrs, deleting what the backup does not hold (except excluded paths). Only what differs
/// is rewritten. A file's content is taken as unchanged without reading it when its size and mtime match
/// the manifest and its ctime predates the backup (no write, chmod or touch since then can leave ctime
/// untouched); otherwise, when the size matches, it is hashed and compared with the manifest's SHA-256.
/// Replaced files are written beside the target and renamed over it, so a crash never leaves a half file.
/// Every operation goes through <see cref="ConfinedDirectory"/>: nothing outside the target directory is
/// ever reached, whatever the manifest says or a symlink on the host points to.
/// <see cref="Plan"/> takes every one of these decisions the same way and only records them (the restore's
/// <c>--dry-run</c>); <see cref="Mirror(MirrorRequest, ConfinedDirectory, IProgress{MirrorProgress}?, CancellationToken)"/>
/// records the same list of what it changed, so the two cannot disagree.
/// </summary>
public sealed class TreeMirror(int parallelism)
{
    private const string TempMarker = ".talm-restore-";

    /// <summary>Mirrors into <see cref="MirrorRequest.TargetDir"/>, created if missing, as the root of confinement.</summary>
    public MirrorResult Mirror(MirrorRequest request, IProgress<MirrorProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var target = ConfinedDirectory.Open(request.TargetDir, create: true);
        return Mirror(request, target, progress, cancellationToken);
    }

    /// <summary>Mirrors into an already opened directory (the restore resolves it beneath the host root); nothing outside it is touched.</summary>
    public MirrorResult Mirror(MirrorRequest request, ConfinedDirectory target, IProgress<MirrorProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Run(request, target, progress, apply: true, cancellationToken);
    }

    /// <summary>
    /// What <see cref="Mirror(MirrorRequest, ConfinedDirectory, IProgress{MirrorProgress}?, CancellationToken)"/> would change, changing nothing
    /// (files whose size matches but whose ctime is newer than the backup are read and hashed, as the restore does).
    /// A null <paramref name="target"/> is a tree that does not exist yet: everything would be created.
    /// </summary>
    public MirrorResult Plan(MirrorRequest request, ConfinedDirectory? target, CancellationToken cancellationToken) =>
        Run(request, target, null, apply: false, cancellationToken);

    private MirrorResult Run(MirrorRequest request, ConfinedDirectory? target, IProgress<MirrorProgress>? progress, bool apply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var prefix = request.ManifestPrefix + "/";
        var backupStartNs = (request.BackupStartedAt.ToUnixTimeMilliseconds() * 1_000_000L) - 1;
        ManifestEntry? rootEntry = null;
        var wanted = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        var ordered = new List<(string Rel, ManifestEntry Entry)>();
        foreach (var entry in request.Entries)
        {
            if (entry.Path == request.ManifestPrefix)
            {
                rootEntry = entry;
                continue;
            }

            if (!entry.Path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rel = entry.Path[prefix.Length..];

            // The manifest was checked when it was read; a caller that built entries itself gets the same rule.
            if (ManifestPath.Problem(rel) is { } problem)
            {
                throw new UnsafePathException($"manifest entry {ManifestPath.Show(entry.Path)}: {problem}; refusing to restore it");
            }

            if (request.Excludes.IsExcluded(rel))
            {
                continue;
            }

            wanted[rel] = entry;
            ordered.Add((rel, entry));
        }

        // The manifest is sorted ordinally already (its contract); sort only if a writer did not.
        if (!IsSorted(ordered))
        {
            ordered.Sort((a, b) => string.CompareOrdinal(a.Rel, b.Rel));
        }

        var counters = new Counters();
        var changes = new System.Collections.Concurrent.ConcurrentBag<MirrorChange>();

        // Directories that do not exist yet (or are not directories): everything below them is created, nothing there is read.
        var absent = new HashSet<string>(StringComparer.Ordinal);
        if (target is null)
        {
            absent.Add("");
        }

        bool ParentAbsent(string rel) => absent.Contains(ManifestPath.Parent(rel));

        // The copied files and hard-link targets, whose inode is new after the run.
        var copied = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        long done = 0;
        var total = ordered.Count;
        void Tick()
        {
            var n = Interlocked.Increment(ref done);
            if (progress is not null && (n % 2048 == 0 || n == total))
            {
                progress.Report(new MirrorProgress(request.Name, n, total));
            }
        }

        var phases = new List<(string, TimeSpan)>();
        var workers = new System.Collections.Concurrent.ConcurrentBag<Worker>();
        Worker NewWorker()
        {
            var worker = new Worker(target!);
            workers.Add(worker);
            return worker;
        }

        try
        {
            // 1. Directories exist, and are directories, before anything goes into them. A directory whose
            //    mtime matches the manifest and whose ctime predates the backup has had no entry added,
            //    removed or renamed since: its listing needs no second look.
            var unchangedDirs = new HashSet<string>(StringComparer.Ordinal);

            // Each existing directory as found, before this run changed anything below it: its metadata change is
            // reported against this, so a directory whose mtime the run disturbs and puts back is not listed.
            var foundDirs = new Dictionary<string, FileStatus>(StringComparer.Ordinal);
            if (target is not null)
            {
                var rootStatus = target.Stat();
                foundDirs[""] = rootStatus;
                if (rootEntry is not null && rootStatus.MtimeNs == rootEntry.MtimeNs && rootStatus.CtimeNs <= backupStartNs)
                {
                    unchangedDirs.Add("");
                }
            }

            var sequential = NewWorker();
            foreach (var (rel, entry) in ordered)
            {
                if (entry.Kind != EntryKind.Directory)
                {
                    continue;
                }

                if (ParentAbsent(rel))
                {
                    absent.Add(rel);
                    changes.Add(new MirrorChange(MirrorChangeKind.Create, rel, EntryKind.Directory, 0));
                    counters.Copied++;
                    continue;
                }

                // A plain lstat decides; only a change goes through the confined parent (and checks again there).
                var status = target!.TryStatBelow(rel);
                if (status?.Kind != FileKind.Directory)
                {
                    var dir = sequential.DirectoryOf(rel, out var name);
                    status = dir.TryStat(name);
                    if (status?.Kind != FileKind.Directory)
                    {
                        if (apply)
                        {
                            dir.Delete(name, status);
                            dir.CreateDirectory(name);
                        }
                        else
                        {
                            absent.Add(rel);
                        }

                        changes.Add(new MirrorChange(status is null ? MirrorChangeKind.Create : MirrorChangeKind.Rewrite, rel, EntryKind.Directory, 0));
                        counters.Copied++;
                        continue;
                    }
                }

                foundDirs[rel] = status;
                if (status.MtimeNs == entry.MtimeNs && status.CtimeNs <= backupStartNs)
                {
                    unchangedDirs.Add(rel);
                }
            }

            phases.Add(("directories", clock.Elapsed));

            // 2. What the backup does not hold goes, so stale files never survive a restore.
            // Only directories whose listing changed since the backup are read; they are independent, so in parallel.
            // A directory made by this run (or, in a plan, still to be made) has nothing to remove.
            var changedDirs = ordered.Where(e => e.Entry.Kind == EntryKind.Directory && foundDirs.ContainsKey(e.Rel) && !unchangedDirs.Contains(e.Rel)).Select(e => e.Rel).ToList();
            if (target is not null && !unchangedDirs.Contains(""))
            {
                changedDirs.Add("");
            }

            Parallel.ForEach(
                changedDirs,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
                dir => Interlocked.Add(ref counters.Deleted, DeleteExtras(request, target!, wanted, dir, apply, changes)));

            phases.Add(("deletions", clock.Elapsed));

            // 3. Files and symlinks, in parallel (hashing and copying dominate). Each worker keeps the
            //    directory it last used open: the manifest's order keeps siblings together.
            var linked = new List<(string Rel, ManifestEntry Entry, string LinkTo)>();
            var independent = new List<(string Rel, ManifestEntry Entry)>();
            foreach (var (rel, entry) in ordered)
            {
                if (entry.Kind == EntryKind.Directory)
                {
                    continue;
                }

                var linkTo = entry.HardLinkTo is { } to && to.StartsWith(prefix, StringComparison.Ordinal) ? to[prefix.Length..] : null;
                if (linkTo is not null && wanted.ContainsKey(linkTo))
                {
                    linked.Add((rel, entry, linkTo));
                }
                else
                {
                    independent.Add((rel, entry));
                }
            }

            Parallel.ForEach(
                independent,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
                NewWorker,
                (item, _, worker) =>
                {
                    var bytes = item.Entry.Kind == EntryKind.File ? item.Entry.Size : 0;
                    MirrorChangeKind? change;
                    if (ParentAbsent(item.Rel))
                    {
                        change = MirrorChangeKind.Create;
                        worker.Counters.Copied++;
                        worker.Counters.BytesCopied += bytes;
                    }
                    else
                    {
                        var dir = worker.DirectoryOf(item.Rel, out var name);
                        change = item.Entry.Kind == EntryKind.Symlink
                            ? RestoreSymlink(dir, name, item.Entry, backupStartNs, worker.Counters, apply)
                            : RestoreFile(dir, name, Path.Combine(request.SourceDir, item.Rel), item.Entry, backupStartNs, worker.Counters, apply);
                    }

                    if (change is { } kind)
                    {
                        changes.Add(new MirrorChange(kind, item.Rel, item.Entry.Kind, kind == MirrorChangeKind.Metadata ? 0 : bytes));
                        if (kind != MirrorChangeKind.Metadata)
                        {
                            copied[item.Rel] = true;
                        }
                    }

                    Tick();
                    return worker;
                },
                worker => counters.Add(worker.Counters));

            phases.Add(("files", clock.Elapsed));

            // 4. Hard links, once the files they share an inode with are in place.
            var peers = NewWorker();
            foreach (var (rel, entry, linkTo) in linked)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (ParentAbsent(rel))
                {
                    changes.Add(new MirrorChange(MirrorChangeKind.Create, rel, EntryKind.File, 0));
                    counters.Copied++;
                    Tick();
                    continue;
                }

                var dir = sequential.DirectoryOf(rel, out var name);
                var status = dir.TryStat(name);

                // In a plan the peer may still be to write: a new inode, so the link is made again.
                var peerStatus = !apply && copied.ContainsKey(linkTo) ? null : peers.DirectoryOf(linkTo, out var peerName).TryStat(peerName);
                if (apply && peerStatus is null)
                {
                    throw new IOException($"{linkTo} vanished before {dir.Child(name)} could be linked to it");
                }

                if (status is { Kind: FileKind.Regular } && peerStatus is not null && status.Inode == peerStatus.Inode && status.Device == peerStatus.Device)
                {
                    counters.Unchanged++;
                }
                else
                {
                    if (apply)
                    {
                        var peerDir = peers.DirectoryOf(linkTo, out var peer);
                        dir.Delete(name, status);
                        dir.CreateHardLink(name, peerDir, peer);
                    }

                    changes.Add(new MirrorChange(status is null ? MirrorChangeKind.Create : MirrorChangeKind.Rewrite, rel, entry.Kind, 0));
                    counters.Copied++;
                }

                Tick();
            }

            phases.Add(("hard links", clock.Elapsed));

            // 5. Directory metadata last and deepest first: adding or removing children changes a directory's mtime.
            for (var i = ordered.Count - 1; i >= 0; i--)
            {
                var (rel, entry) = ordered[i];
                if (entry.Kind != EntryKind.Directory)
                {
                    continue;
                }

                // Reported only when the directory as found differs: the net change, the same whether applied or planned.
                var found = foundDirs.GetValueOrDefault(rel);
                if (found is not null && !UntouchedSinceBackup(found, entry, backupStartNs) && MetadataDiffers(target!, rel, found, entry))
                {
                    changes.Add(new MirrorChange(MirrorChangeKind.Metadata, rel, EntryKind.Directory, 0));
                }

                if (apply)
                {
                    var dir = sequential.DirectoryOf(rel, out var name);
                    var status = dir.TryStat(name) is { Kind: FileKind.Directory } s ? s : throw new IOException($"{dir.Child(name)} is no longer a directory");
                    if (!UntouchedSinceBackup(status, entry, backupStartNs) && FixMetadata(dir, name, status, entry, isSymlink: false, apply: true))
                    {
                        counters.MetadataFixed++;
                    }
                }
                else if (found is not null && !UntouchedSinceBackup(found, entry, backupStartNs) && MetadataDiffers(target!, rel, found, entry))
                {
                    counters.MetadataFixed++;
                }

                Tick();
            }

            if (rootEntry is not null && target is not null)
            {
                if (!UntouchedSinceBackup(foundDirs[""], rootEntry, backupStartNs) && MetadataDiffers(target, "", foundDirs[""], rootEntry))
                {
                    changes.Add(new MirrorChange(MirrorChangeKind.Metadata, "", EntryKind.Directory, 0));
                }

                if (apply)
                {
                    FixMetadata(target, ".", target.Stat(), rootEntry, isSymlink: false, apply: true);
                }
            }

            phases.Add(("directory metadata", clock.Elapsed));
            if (apply)
            {
                target!.SyncFilesystem();
                phases.Add(("sync", clock.Elapsed));
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }

        var previous = TimeSpan.Zero;
        var timings = new List<string>();
        foreach (var (name, at) in phases)
        {
            timings.Add($"{name} {(at - previous).TotalSeconds:0.00}s");
            previous = at;
        }

        return new MirrorResult(
            request.Name,
            ordered.Count,
            counters.Unchanged,
            counters.Copied,
            counters.MetadataFixed,
            counters.Hashed,
            counters.Deleted,
            counters.BytesCopied,
            clock.Elapsed)
        {
            Phases = string.Join(", ", timings),
            BytesHashed = counters.BytesHashed,
            Changes = [.. changes.OrderBy(c => c.Path, StringComparer.Ordinal)],
        };
    }

    /// <summary>Whether <paramref name="rel"/>'s owner, mode, xattrs or mtime differ from the manifest's (read only).</summary>
    private static bool MetadataDiffers(ConfinedDirectory target, string rel, FileStatus status, ManifestEntry entry)
    {
        if (rel.Length == 0)
        {
            return FixMetadata(target, ".", status, entry, isSymlink: false, apply: false);
        }

        using var parent = target.OpenDirectory(ManifestPath.Parent(rel));
        return FixMetadata(parent, Path.GetFileName(rel), status, entry, isSymlink: false, apply: false);
    }

    /// <summary>Removes what the backup does not hold from one directory (its wanted subdirectories are visited on their own).</summary>
    private static int DeleteExtras(MirrorRequest request, ConfinedDirectory target, Dictionary<string, ManifestEntry> wanted, string relDir, bool apply, System.Collections.Concurrent.ConcurrentBag<MirrorChange> changes)
    {
        var deleted = 0;
        using var dir = target.OpenDirectory(relDir);
        foreach (var name in dir.Names())
        {
            var rel = relDir.Length == 0 ? name : relDir + "/" + name;
            if (wanted.ContainsKey(rel) || request.Excludes.IsExcluded(rel))
            {
                continue;
            }

            var status = dir.TryStat(name);

            // Sockets, FIFOs and device nodes cannot be in a backup; the services that own them recreate them.
            if (status is { Kind: FileKind.Special })
            {
                continue;
            }

            changes.Add(new MirrorChange(MirrorChangeKind.Delete, rel, KindOf(status), BytesBelow(dir, name, status)));
            if (apply)
            {
                dir.Delete(name, status);
            }

            deleted++;
        }

        return deleted;
    }

    private static EntryKind? KindOf(FileStatus? status) => status?.Kind switch
    {
        FileKind.Regular => EntryKind.File,
        FileKind.Directory => EntryKind.Directory,
        FileKind.Symlink => EntryKind.Symlink,
        _ => null,
    };

    /// <summary>The bytes of the regular files a delete removes (all of a directory's, never following a symlink).</summary>
    private static long BytesBelow(ConfinedDirectory dir, string name, FileStatus? status)
    {
        if (status is null)
        {
            return 0;
        }

        if (status.Kind != FileKind.Directory)
        {
            return status.Kind == FileKind.Regular ? status.Size : 0;
        }

        using var below = dir.OpenDirectory(name);
        long bytes = 0;
        foreach (var child in below.Names())
        {
            bytes += BytesBelow(below, child, below.TryStat(child));
        }

        return bytes;
    }

    /// <returns>What changes (or, with <paramref name="apply"/> false, would change); null if nothing.</returns>
    private static MirrorChangeKind? RestoreSymlink(ConfinedDirectory dir, string name, ManifestEntry entry, long backupStartNs, Counters counters, bool apply)
    {
        var status = dir.TryStat(name);
        if (status is { Kind: FileKind.Symlink } && UntouchedSinceBackup(status, entry, backupStartNs))
        {
            counters.Unchanged++;
            return null;
        }

        if (status is { Kind: FileKind.Symlink } && dir.ReadLink(name) == entry.LinkTarget)
        {
            if (FixMetadata(dir, name, status, entry, isSymlink: true, apply))
            {
                counters.MetadataFixed++;
                return MirrorChangeKind.Metadata;
            }

            counters.Unchanged++;
            return null;
        }

        var linkTarget = entry.LinkTarget ?? throw new InvalidDataException($"manifest entry {entry.Path} is a symlink without a target");
        if (apply)
        {
            dir.Delete(name, status);
            dir.CreateSymlink(linkTarget, name);
            FixMetadata(dir, name, dir.TryStat(name)!, entry, isSymlink: true, apply: true);
        }

        counters.Copied++;
        return status is null ? MirrorChangeKind.Create : MirrorChangeKind.Rewrite;
    }

    /// <returns>What changes (or, with <paramref name="apply"/> false, would change); null if nothing.</returns>
    private static MirrorChangeKind? RestoreFile(ConfinedDirectory dir, string name, string source, ManifestEntry entry, long backupStartNs, Counters counters, bool apply)
    {
        var status = dir.TryStat(name);
        var same = false;
        if (status is { Kind: FileKind.Regular } && status.Size == entry.Size)
        {
            if (UntouchedSinceBackup(status, entry, backupStartNs))
            {
                counters.Unchanged++;
                return null;
            }
            else
            {
                counters.Hashed++;
                counters.BytesHashed += status.Size;
                using var handle = dir.OpenFile(name);
                same = string.Equals(Sha256Of(handle), entry.Sha256, StringComparison.OrdinalIgnoreCase);
            }
        }

        if (same)
        {
            if (FixMetadata(dir, name, status!, entry, isSymlink: false, apply))
            {
                counters.MetadataFixed++;
                return MirrorChangeKind.Metadata;
            }

            counters.Unchanged++;
            return null;
        }

        var change = status is null ? MirrorChangeKind.Create : MirrorChangeKind.Rewrite;
        if (!apply)
        {
            counters.Copied++;
            counters.BytesCopied += entry.Size;
            return change;
        }

        if (status is { Kind: FileKind.Directory or FileKind.Special })
        {
            dir.Delete(name, status);
        }

        var temp = TempMarker + Guid.NewGuid().ToString("N")[..16];
        try
        {
            using (var input = File.OpenHandle(source, FileMode.Open, FileAccess.Read))
            using (var output = dir.CreateFile(temp))
            {
                Posix.CopyContent(input, output, dir.Child(name));
            }

            ApplyAll(dir, temp, entry);
            dir.Rename(temp, name);
        }
        catch
        {
            try
            {
                dir.Delete(temp);
            }
            catch (IOException)
            {
                // The original error matters more than a leftover temp file, which the next run deletes.
            }

            throw;
        }

        counters.Copied++;
        counters.BytesCopied += entry.Size;
        return change;
    }

    private static bool IsSorted(List<(string Rel, ManifestEntry Entry)> entries)
    {
        for (var i = 1; i < entries.Count; i++)
        {
            if (string.CompareOrdinal(entries[i - 1].Rel, entries[i].Rel) > 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Same mtime as the manifest and no inode change since before the backup started: content, mode,
    /// owner, xattrs and link target are all as the backup read them (each change would set ctime).
    /// </summary>
    private static bool UntouchedSinceBackup(FileStatus status, ManifestEntry entry, long backupStartNs) =>
        status.MtimeNs == entry.MtimeNs && status.CtimeNs <= backupStartNs;

    private static void ApplyAll(ConfinedDirectory dir, string name, ManifestEntry entry) =>
        MetadataApplier.Apply(new ConfinedTarget(dir, name), MetadataOf(entry, entry.MtimeNs), isSymlink: false, OtherXattrs.Remove);

    /// <summary>Brings owner, mode, xattrs and mtime in line with the manifest; true if anything changed (or, without <paramref name="apply"/>, differs).</summary>
    private static bool FixMetadata(ConfinedDirectory dir, string name, FileStatus status, ManifestEntry entry, bool isSymlink, bool apply) =>
        MetadataApplier.Reconcile(new ConfinedTarget(dir, name), status, MetadataOf(entry, status.AtimeNs), isSymlink, OtherXattrs.Remove, apply);

    /// <summary>The manifest's metadata for an entry; the access time is the caller's (the manifest keeps none).</summary>
    private static FileMetadata MetadataOf(ManifestEntry entry, long atimeNs) =>
        new(entry.Uid, entry.Gid, entry.Mode, entry.Xattrs?.ToDictionary(x => x.Key, x => Convert.FromBase64String(x.Value), StringComparer.Ordinal), atimeNs, entry.MtimeNs);

    internal static string Sha256Of(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        using var stream = new FileStream(handle, FileAccess.Read, 1 << 17);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// One thread's view of the target: the chain of directories down to the one it used last stays open,
    /// so in the manifest's (depth-first) order each directory is opened once, one name at a time, never
    /// through a symlink.
    /// </summary>
    private sealed class Worker(ConfinedDirectory target) : IDisposable
    {
        private readonly List<(string Rel, ConfinedDirectory Dir)> _chain = [];

        public Counters Counters { get; } = new();

        /// <summary>The directory holding <paramref name="rel"/>; <paramref name="name"/> is its last name.</summary>
        public ConfinedDirectory DirectoryOf(string rel, out string name)
        {
            var slash = rel.LastIndexOf('/');
            var parent = slash < 0 ? "" : rel[..slash];
            name = rel[(slash + 1)..];
            while (_chain.Count > 0 && !(_chain[^1].Rel.Length == 0 || parent == _chain[^1].Rel || parent.StartsWith(_chain[^1].Rel + "/", StringComparison.Ordinal)))
            {
                _chain[^1].Dir.Dispose();
                _chain.RemoveAt(_chain.Count - 1);
            }

            if (_chain.Count == 0)
            {
                _chain.Add(("", target.OpenDirectory("")));
            }

            while (_chain[^1].Rel != parent)
            {
                var (topRel, top) = _chain[^1];
                var rest = topRel.Length == 0 ? parent : parent[(topRel.Length + 1)..];
                var next = rest.Split('/', 2)[0];
                _chain.Add((topRel.Length == 0 ? next : topRel + "/" + next, top.OpenDirectory(next)));
            }

            return _chain[^1].Dir;
        }

        public void Dispose()
        {
            foreach (var (_, dir) in _chain)
            {
                dir.Dispose();
            }

            _chain.Clear();
        }
    }

    private sealed class Counters
    {
        public int Unchanged;
        public int Copied;
        public int MetadataFixed;
        public int Hashed;
        public int Deleted;
        public long BytesCopied;
        public long BytesHashed;

        public void Add(Counters other)
        {
            lock (this)
            {
                Unchanged += other.Unchanged;
                Copied += other.Copied;
                MetadataFixed += other.MetadataFixed;
                Hashed += other.Hashed;
                Deleted += other.Deleted;
                BytesCopied += other.BytesCopied;
                BytesHashed += other.BytesHashed;
            }
        }
    }
}
