using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// What happens to the superseded generation once a new one is committed. Deleting it would free
/// the inodes of its thousands of directories and symlinks, and ext4 (without a journal, as on the
/// nodes and VMs measured) makes every inode allocation of the next minutes scan past recently freed
/// inodes: a run of backups got slower each time. Instead its own content (files the new backup
/// does not share: changed files' old copies, the etcd snapshot, the archives, the manifest) is
/// unlinked, and what remains (directories and names of inodes the new backup shares) becomes
/// <see cref="BackupDirectory.RecyclePath"/>, the starting tree of the next backup, which keeps
/// whatever already matches. It holds no data of its own: only names of the current backup's inodes.
/// </summary>
internal static class GenerationRecycler
{
    /// <summary>
    /// Unlinks from <paramref name="previousRoot"/> every file and symlink of <paramref name="previous"/>
    /// that is not in <paramref name="shared"/> (paths whose inode the new backup links), then renames
    /// it to <paramref name="recycleDir"/>. Returns the number of names unlinked.
    /// </summary>
    public static int Recycle(string previousRoot, BackupManifest previous, IReadOnlySet<string> shared, string recycleDir, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(shared);
        var own = new List<string>(BackupDirectory.UnlistedNames);
        foreach (var entry in previous.Entries)
        {
            if (entry.Kind == EntryKind.Directory)
            {
                continue;
            }

            var keep = shared.Contains(entry.Path) || (entry.HardLinkTo is { } primary && shared.Contains(primary));
            if (!keep)
            {
                own.Add(entry.Path);
            }
        }

        Workers.Run(own, Math.Max(parallelism, Workers.UnlinkParallelism), rel => Posix.TryUnlink(Path.Combine(previousRoot, rel)));
        if (Posix.TryLStat(recycleDir) is not null)
        {
            TreeRemover.Remove(recycleDir, parallelism);
        }

        Posix.Rename(previousRoot, recycleDir);
        return own.Count;
    }

    /// <summary>
    /// Paths of <paramref name="generation"/>'s files and symlinks whose inode has names outside it (in another restore
    /// point): what a generation other than the one the new backup linked from (an older restore point leaving the
    /// <c>--keep</c> window) shares. One lstat per name: its link count against the names the manifest gives the inode
    /// inside the generation (hard-link peers). The rest is its own and is unlinked; what is kept holds no data of its own.
    /// </summary>
    public static IReadOnlySet<string> SharedElsewhere(string generationRoot, BackupManifest generation, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(generation);
        var namesInside = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in generation.Entries.Where(e => e.Kind != EntryKind.Directory))
        {
            var key = entry.HardLinkTo ?? entry.Path;
            namesInside[key] = namesInside.GetValueOrDefault(key) + 1;
        }

        var shared = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var entries = generation.Entries.Where(e => e.Kind != EntryKind.Directory).ToList();
        Workers.Run(entries, Math.Max(1, parallelism), entry =>
        {
            if (Posix.TryLStat(Path.Combine(generationRoot, entry.Path)) is { } status && status.LinkCount > namesInside[entry.HardLinkTo ?? entry.Path])
            {
                shared[entry.Path] = 0;
            }
        });
        return shared.Keys.ToHashSet(StringComparer.Ordinal);
    }
}
