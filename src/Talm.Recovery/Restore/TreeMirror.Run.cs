using System.Collections.Concurrent;
using System.Diagnostics;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

public sealed partial class TreeMirror
{
    /// <summary>One mirror (or plan) of one tree, phase by phase, and the state the phases share.</summary>
    private sealed partial class MirrorRun(MirrorRequest request, ConfinedDirectory? target, IProgress<MirrorProgress>? progress, bool apply, int parallelism, CancellationToken cancellationToken)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly string _prefix = request.ManifestPrefix + "/";
        private readonly long _backupStartNs = (request.BackupStartedAt.ToUnixTimeMilliseconds() * 1_000_000L) - 1;
        private readonly Dictionary<string, ManifestEntry> _wanted = new(StringComparer.Ordinal);
        private readonly List<(string Rel, ManifestEntry Entry)> _ordered = [];
        private readonly Counters _counters = new();
        private readonly ConcurrentBag<MirrorChange> _changes = [];

        // Directories that do not exist yet (or are not directories): everything below them is created, nothing there is read.
        private readonly HashSet<string> _absent = new(StringComparer.Ordinal);

        // The copied files and hard-link targets, whose inode is new after the run.
        private readonly ConcurrentDictionary<string, bool> _copied = new(StringComparer.Ordinal);

        // Directories whose mtime matches the manifest and whose ctime predates the backup: no entry was added,
        // removed or renamed since, so their listing needs no second look.
        private readonly HashSet<string> _unchangedDirs = new(StringComparer.Ordinal);

        // Each existing directory as found, before this run changed anything below it: its metadata change is
        // reported against this, so a directory whose mtime the run disturbs and puts back is not listed.
        private readonly Dictionary<string, FileStatus> _foundDirs = new(StringComparer.Ordinal);

        private readonly List<(string, TimeSpan)> _phases = [];
        private readonly ConcurrentBag<Worker> _workers = [];
        private ManifestEntry? _rootEntry;
        private Worker? _sequential;
        private long _done;

        public MirrorResult Run()
        {
            SelectEntries();
            if (target is null)
            {
                _absent.Add("");
            }

            try
            {
                EnsureDirectories();
                _phases.Add(("directories", _clock.Elapsed));
                DeleteWhatTheBackupLacks();
                _phases.Add(("deletions", _clock.Elapsed));
                var linked = WriteFiles();
                _phases.Add(("files", _clock.Elapsed));
                LinkHardLinks(linked);
                _phases.Add(("hard links", _clock.Elapsed));
                FixDirectoryMetadata();
                _phases.Add(("directory metadata", _clock.Elapsed));
                if (apply)
                {
                    target!.SyncFilesystem();
                    _phases.Add(("sync", _clock.Elapsed));
                }
            }
            finally
            {
                foreach (var worker in _workers)
                {
                    worker.Dispose();
                }
            }

            return Result();
        }

        /// <summary>The manifest's entries below the tree, minus the excluded ones, in the manifest's (ordinal) order.</summary>
        private void SelectEntries()
        {
            foreach (var entry in request.Entries)
            {
                if (entry.Path == request.ManifestPrefix)
                {
                    _rootEntry = entry;
                    continue;
                }

                if (!entry.Path.StartsWith(_prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var rel = entry.Path[_prefix.Length..];

                // The manifest was checked when it was read; a caller that built entries itself gets the same rule.
                if (ManifestPath.Problem(rel) is { } problem)
                {
                    throw new UnsafePathException($"manifest entry {ManifestPath.Show(entry.Path)}: {problem}; refusing to restore it");
                }

                if (request.Excludes.IsExcluded(rel))
                {
                    continue;
                }

                _wanted[rel] = entry;
                _ordered.Add((rel, entry));
            }

            // The manifest is sorted ordinally already (its contract); sort only if a writer did not.
            if (!IsSorted(_ordered))
            {
                _ordered.Sort((a, b) => string.CompareOrdinal(a.Rel, b.Rel));
            }
        }

        private bool ParentAbsent(string rel) => _absent.Contains(ManifestPath.Parent(rel));

        private void Tick()
        {
            var n = Interlocked.Increment(ref _done);
            if (progress is not null && (n % 2048 == 0 || n == _ordered.Count))
            {
                progress.Report(new MirrorProgress(request.Name, n, _ordered.Count));
            }
        }

        private Worker NewWorker()
        {
            var worker = new Worker(target!);
            _workers.Add(worker);
            return worker;
        }

        private void EnsureDirectories()
        {
            // 1. Directories exist, and are directories, before anything goes into them. A directory whose
            //    mtime matches the manifest and whose ctime predates the backup has had no entry added,
            //    removed or renamed since: its listing needs no second look.
            if (target is not null)
            {
                var rootStatus = target.Stat();
                _foundDirs[""] = rootStatus;
                if (_rootEntry is not null && rootStatus.MtimeNs == _rootEntry.MtimeNs && rootStatus.CtimeNs <= _backupStartNs)
                {
                    _unchangedDirs.Add("");
                }
            }

            _sequential = NewWorker();
            foreach (var (rel, entry) in _ordered)
            {
                if (entry.Kind != EntryKind.Directory)
                {
                    continue;
                }

                if (ParentAbsent(rel))
                {
                    _absent.Add(rel);
                    _changes.Add(new MirrorChange(MirrorChangeKind.Create, rel, EntryKind.Directory, 0));
                    _counters.Copied++;
                    continue;
                }

                // A plain lstat decides; only a change goes through the confined parent (and checks again there).
                var status = target!.TryStatBelow(rel);
                if (status?.Kind != FileKind.Directory)
                {
                    var dir = _sequential!.DirectoryOf(rel, out var name);
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
                            _absent.Add(rel);
                        }

                        _changes.Add(new MirrorChange(status is null ? MirrorChangeKind.Create : MirrorChangeKind.Rewrite, rel, EntryKind.Directory, 0));
                        _counters.Copied++;
                        continue;
                    }
                }

                _foundDirs[rel] = status;
                if (status.MtimeNs == entry.MtimeNs && status.CtimeNs <= _backupStartNs)
                {
                    _unchangedDirs.Add(rel);
                }
            }
        }

        private void DeleteWhatTheBackupLacks()
        {
            // 2. What the backup does not hold goes, so stale files never survive a restore.
            // Only directories whose listing changed since the backup are read; they are independent, so in parallel.
            // A directory made by this run (or, in a plan, still to be made) has nothing to remove.
            var changedDirs = _ordered.Where(e => e.Entry.Kind == EntryKind.Directory && _foundDirs.ContainsKey(e.Rel) && !_unchangedDirs.Contains(e.Rel)).Select(e => e.Rel).ToList();
            if (target is not null && !_unchangedDirs.Contains(""))
            {
                changedDirs.Add("");
            }

            Parallel.ForEach(
                changedDirs,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
                dir => Interlocked.Add(ref _counters.Deleted, DeleteExtras(request, target!, _wanted, dir, apply, _changes)));
        }

        private MirrorResult Result()
        {
            var previous = TimeSpan.Zero;
            var timings = new List<string>();
            foreach (var (name, at) in _phases)
            {
                timings.Add($"{name} {(at - previous).TotalSeconds:0.00}s");
                previous = at;
            }

            return new MirrorResult(
                request.Name,
                _ordered.Count,
                _counters.Unchanged,
                _counters.Copied,
                _counters.MetadataFixed,
                _counters.Hashed,
                _counters.Deleted,
                _counters.BytesCopied,
                _clock.Elapsed)
            {
                Phases = string.Join(", ", timings),
                BytesHashed = _counters.BytesHashed,
                Changes = [.. _changes.OrderBy(c => c.Path, StringComparer.Ordinal)],
            };
        }
    }
}
