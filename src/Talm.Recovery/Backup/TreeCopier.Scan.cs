using Microsoft.Extensions.Logging;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>The scan: every entry of the trees with its status, what the previous backup can give unchanged, hard links found once.</summary>
public sealed partial class TreeCopier
{
    /// <summary>Records every entry under <paramref name="sourceRoot"/>, to be placed at <paramref name="destRelative"/> in the backup.</summary>
    public void Scan(string sourceRoot, string destRelative) => Scan([(sourceRoot, destRelative)]);

    /// <summary>Records every entry of each tree (listed on several threads at once), each placed at its relative path in the backup.</summary>
    public void Scan(IReadOnlyList<(string Source, string Rel)> trees)
    {
        ArgumentNullException.ThrowIfNull(trees);
        var roots = new List<(string Source, string Rel, FileStatus? Status)>();
        foreach (var (source, rel) in trees)
        {
            var status = Posix.TryLStat(source);
            if (status is not null && status.Kind != FileKind.Directory)
            {
                throw new IOException($"{source} is not a directory; check --host-root");
            }

            roots.Add((source, rel, status));
        }

        var listing = TreeLister.List([.. roots.Where(r => r.Status is not null).Select(r => r.Source)], _tuning.SmallFileParallelism);
        ResolveReuse();
        foreach (var (sourceRoot, destRelative, rootStatus) in roots)
        {
            if (rootStatus is null)
            {
                _logger.LogWarning("{Source} does not exist; backing it up as an empty directory", sourceRoot);
                _items.Add(new Item(sourceRoot, destRelative, SyntheticDirectory(), ItemAction.Directory, null, null, null));
                continue;
            }

            var pending = new Stack<(string Source, string Rel, FileStatus Status)>();
            pending.Push((sourceRoot, destRelative, rootStatus));
            while (pending.Count > 0)
            {
                var (source, rel, status) = pending.Pop();
                _items.Add(new Item(source, rel, status, ItemAction.Directory, null, null, null));
                var subdirectories = new List<(string, string, FileStatus)>();
                foreach (var child in listing.Children(source))
                {
                    var childRel = rel + "/" + child.Name;
                    switch (child.Status.Kind)
                    {
                        case FileKind.Directory:
                            subdirectories.Add((child.Path, childRel, child.Status));
                            break;
                        case FileKind.Symlink:
                            _items.Add(new Item(child.Path, childRel, child.Status, ItemAction.Symlink, child.LinkTarget, null, _reuse?.Find(child.Status)));
                            break;
                        case FileKind.Regular:
                            AddFile(child.Path, childRel, child.Status);
                            break;
                        default:
                            SkippedSpecialFiles++;
                            _logger.LogDebug("Skipping special file {Path}", child.Path);
                            break;
                    }
                }

                for (var i = subdirectories.Count - 1; i >= 0; i--)
                {
                    pending.Push(subdirectories[i]);
                }
            }
        }
    }

    /// <summary>Records one regular file, placed at <paramref name="destRelative"/> inside a directory named like its parent's metadata.</summary>
    public void ScanFile(string sourceFile, string destRelative)
    {
        ResolveReuse();
        var status = Posix.LStat(sourceFile);
        if (status.Kind != FileKind.Regular)
        {
            throw new IOException($"{sourceFile} is not a regular file");
        }

        var directory = Path.GetDirectoryName(sourceFile)!;
        var parentRel = destRelative[..destRelative.LastIndexOf('/')];
        _items.Add(new Item(directory, parentRel, Posix.LStat(directory), ItemAction.Directory, null, null, null));
        AddFile(sourceFile, destRelative, status);
    }

    private void ResolveReuse()
    {
        if (!_reuseKnown)
        {
            _reuse = _reuseSource.GetAwaiter().GetResult();
            _reuseKnown = true;
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

        _items.Add(new Item(source, rel, status, ItemAction.File, null, null, previous));
    }
}
