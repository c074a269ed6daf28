using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

public sealed partial class TreeMirror
{
    /// <summary>The phases after the directories and deletions: files and symlinks, hard links, then directory metadata.</summary>
    private sealed partial class MirrorRun
    {
        /// <summary>Writes the files and symlinks; returns the hard links, made once their peers are in place.</summary>
        private List<(string Rel, ManifestEntry Entry, string LinkTo)> WriteFiles()
        {
            // 3. Files and symlinks, in parallel (hashing and copying dominate). Each worker keeps the
            //    directory it last used open: the manifest's order keeps siblings together.
            var linked = new List<(string Rel, ManifestEntry Entry, string LinkTo)>();
            var independent = new List<(string Rel, ManifestEntry Entry)>();
            foreach (var (rel, entry) in _ordered)
            {
                if (entry.Kind == EntryKind.Directory)
                {
                    continue;
                }

                var linkTo = entry.HardLinkTo is { } to && to.StartsWith(_prefix, StringComparison.Ordinal) ? to[_prefix.Length..] : null;
                if (linkTo is not null && _wanted.ContainsKey(linkTo))
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
                            ? RestoreSymlink(dir, name, item.Entry, _backupStartNs, worker.Counters, apply)
                            : RestoreFile(dir, name, Path.Combine(request.SourceDir, item.Rel), item.Entry, _backupStartNs, worker.Counters, apply);
                    }

                    if (change is { } kind)
                    {
                        _changes.Add(new MirrorChange(kind, item.Rel, item.Entry.Kind, kind == MirrorChangeKind.Metadata ? 0 : bytes));
                        if (kind != MirrorChangeKind.Metadata)
                        {
                            _copied[item.Rel] = true;
                        }
                    }

                    Tick();
                    return worker;
                },
                worker => _counters.Add(worker.Counters));

            return linked;
        }

        private void LinkHardLinks(List<(string Rel, ManifestEntry Entry, string LinkTo)> linked)
        {
            // 4. Hard links, once the files they share an inode with are in place.
            var peers = NewWorker();
            foreach (var (rel, entry, linkTo) in linked)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (ParentAbsent(rel))
                {
                    _changes.Add(new MirrorChange(MirrorChangeKind.Create, rel, EntryKind.File, 0));
                    _counters.Copied++;
                    Tick();
                    continue;
                }

                var dir = _sequential!.DirectoryOf(rel, out var name);
                var status = dir.TryStat(name);

                // In a plan the peer may still be to write: a new inode, so the link is made again.
                var peerStatus = !apply && _copied.ContainsKey(linkTo) ? null : peers.DirectoryOf(linkTo, out var peerName).TryStat(peerName);
                if (apply && peerStatus is null)
                {
                    throw new IOException($"{linkTo} vanished before {dir.Child(name)} could be linked to it");
                }

                if (status is { Kind: FileKind.Regular } && peerStatus is not null && status.Inode == peerStatus.Inode && status.Device == peerStatus.Device)
                {
                    _counters.Unchanged++;
                }
                else
                {
                    if (apply)
                    {
                        var peerDir = peers.DirectoryOf(linkTo, out var peer);
                        dir.Delete(name, status);
                        dir.CreateHardLink(name, peerDir, peer);
                    }

                    _changes.Add(new MirrorChange(status is null ? MirrorChangeKind.Create : MirrorChangeKind.Rewrite, rel, entry.Kind, 0));
                    _counters.Copied++;
                }

                Tick();
            }
        }

        private void FixDirectoryMetadata()
        {
            // 5. Directory metadata last and deepest first: adding or removing children changes a directory's mtime.
            for (var i = _ordered.Count - 1; i >= 0; i--)
            {
                var (rel, entry) = _ordered[i];
                if (entry.Kind != EntryKind.Directory)
                {
                    continue;
                }

                // Reported only when the directory as found differs: the net change, the same whether applied or planned.
                var found = _foundDirs.GetValueOrDefault(rel);
                if (found is not null && !UntouchedSinceBackup(found, entry, _backupStartNs) && MetadataDiffers(target!, rel, found, entry))
                {
                    _changes.Add(new MirrorChange(MirrorChangeKind.Metadata, rel, EntryKind.Directory, 0));
                }

                if (apply)
                {
                    var dir = _sequential!.DirectoryOf(rel, out var name);
                    var status = dir.TryStat(name) is { Kind: FileKind.Directory } s ? s : throw new IOException($"{dir.Child(name)} is no longer a directory");
                    if (!UntouchedSinceBackup(status, entry, _backupStartNs) && FixMetadata(dir, name, status, entry, isSymlink: false, apply: true))
                    {
                        _counters.MetadataFixed++;
                    }
                }
                else if (found is not null && !UntouchedSinceBackup(found, entry, _backupStartNs) && MetadataDiffers(target!, rel, found, entry))
                {
                    _counters.MetadataFixed++;
                }

                Tick();
            }

            if (_rootEntry is not null && target is not null)
            {
                if (!UntouchedSinceBackup(_foundDirs[""], _rootEntry, _backupStartNs) && MetadataDiffers(target, "", _foundDirs[""], _rootEntry))
                {
                    _changes.Add(new MirrorChange(MirrorChangeKind.Metadata, "", EntryKind.Directory, 0));
                }

                if (apply)
                {
                    FixMetadata(target, ".", target.Stat(), _rootEntry, isSymlink: false, apply: true);
                }
            }
        }
    }
}
