using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>Reuse of the previous backup: a file unchanged since it is hard-linked to its copy there (or kept, when the recycled tree already links that copy).</summary>
public sealed partial class TreeCopier
{
    /// <summary>
    /// The previous backup's copy of an unchanged source, hard-linked (or kept, when the recycled tree
    /// already links that inode at this name); null when it is missing or damaged, to copy afresh.
    /// </summary>
    private ManifestEntry? TryReuse(string backupRoot, Item item)
    {
        var previous = item.Previous!;
        var dest = Path.Combine(backupRoot, item.Rel);
        _recycled.TryGetName(item.Rel, out var present);
        var copyInode = _reuse!.CopyInode(previous);
        FileStatus? status;
        string? linkTarget;
        bool kept;
        if (present is not null && copyInode != 0 && present.Status.Inode == copyInode && present.Status.Device == _reuse.PreviousDevice)
        {
            // The recycled name links the inode the previous backup's index says held this entry's copy: that
            // inode, looked up when the recycled tree was walked, is the copy, and nothing needs to be linked.
            (status, linkTarget, kept) = (present.Status, present.LinkTarget, true);
        }
        else
        {
            var old = Path.Combine(_reuse.PreviousRoot, previous.Path);
            status = Posix.TryLStat(old);
            linkTarget = status is { Kind: FileKind.Symlink } ? new FileInfo(old).LinkTarget : null;
            kept = status is not null && present is not null && present.Status.Inode == status.Inode && present.Status.Device == status.Device;
        }

        // A previous copy whose size, mode, owner or mtime no longer match its manifest was damaged
        // since: copy afresh rather than carry the damage into the new backup.
        if (status is null || !Matches(status, previous, item.Action == ItemAction.Symlink, linkTarget))
        {
            _logger.LogWarning("{Path} in the previous backup is missing or no longer matches its manifest; copying it again", previous.Path);
            ClearName(dest, item.Rel);
            return null;
        }

        if (!kept)
        {
            if (present is not null)
            {
                Posix.TryUnlink(dest);
            }

            try
            {
                Posix.Link(Path.Combine(_reuse.PreviousRoot, previous.Path), dest);
            }
            catch (NativeException e)
            {
                _logger.LogDebug("Cannot link {Path} from the previous backup ({Error}); copying it", item.Rel, e.Message);
                return null;
            }
        }
        else
        {
            Interlocked.Increment(ref _keptInPlace);
        }

        _copyInodes[item.Rel] = status.Inode;
        _sharedWithPrevious[previous.Path] = 0;
        if (item.Action == ItemAction.File)
        {
            Interlocked.Increment(ref _reusedFiles);
            _counters.AddBytes(previous.Size);
        }

        return previous with { Path = item.Rel, HardLinkTo = null };
    }

    private static bool Matches(FileStatus status, ManifestEntry entry, bool symlink, string? linkTarget)
    {
        if (status.Uid != entry.Uid || status.Gid != entry.Gid || status.MtimeNs != entry.MtimeNs)
        {
            return false;
        }

        return symlink
            ? status.Kind == FileKind.Symlink && linkTarget == entry.LinkTarget
            : status.Kind == FileKind.Regular && status.Size == entry.Size && status.Permissions == entry.Mode;
    }
}
