using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Layout;

/// <summary>
/// Which restore points hold each file's inode. A file unchanged between backups is one inode with a name in
/// each generation (hard links), so a restore point costs only what no other one shares: the bytes of the
/// inodes it alone holds, which is what removing it frees. Measured with one lstat per file of each restore
/// point (the manifest does not record the backup copy's inode).
/// </summary>
public sealed class RestorePointSpace
{
    private readonly Dictionary<(ulong Device, ulong Inode), (long Size, HashSet<string> Holders)> _inodes = [];

    private RestorePointSpace()
    {
    }

    public static RestorePointSpace Measure(IEnumerable<(string Id, string Root, BackupManifest Manifest)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var space = new RestorePointSpace();
        foreach (var (id, root, manifest) in points)
        {
            foreach (var entry in manifest.Entries)
            {
                if (entry is not { Kind: EntryKind.File, HardLinkTo: null })
                {
                    continue;
                }

                if (Posix.TryLStat(Path.Combine(root, entry.Path)) is { Kind: FileKind.Regular } status)
                {
                    var key = (status.Device, status.Inode);
                    if (!space._inodes.TryGetValue(key, out var held))
                    {
                        held = (status.Size, new HashSet<string>(StringComparer.Ordinal));
                        space._inodes[key] = held;
                    }

                    held.Holders.Add(id);
                }
            }
        }

        return space;
    }

    /// <summary>Bytes of the inodes that only restore points in <paramref name="ids"/> hold: what removing them all frees.</summary>
    public long OnlyIn(IReadOnlySet<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        long total = 0;
        foreach (var (size, holders) in _inodes.Values)
        {
            if (holders.IsSubsetOf(ids))
            {
                total += size;
            }
        }

        return total;
    }

    /// <summary>Bytes of the inodes only <paramref name="id"/> holds.</summary>
    public long OnlyIn(string id) => OnlyIn(new HashSet<string>(StringComparer.Ordinal) { id });
}
