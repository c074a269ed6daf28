using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// A generation directory taken over from the recycled previous backup (see <see cref="GenerationRecycler"/>):
/// its directories are kept where the new backup has a directory, names that are not wanted are
/// removed, and the names that remain are remembered so the copy can keep those that already link
/// the right inode and replace the rest. New inodes are only made for what changed: on ext4 a tree
/// of fresh directories and symlinks per backup, with the old tree deleted, leaves thousands of
/// recently freed inodes that every later inode allocation scans past.
/// </summary>
internal sealed class RecycledTree
{
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Name> _names = new(StringComparer.Ordinal);

    private RecycledTree()
    {
    }

    /// <summary>An empty tree: nothing was recycled.</summary>
    public static RecycledTree None { get; } = new();

    /// <summary>Directories (relative paths) that exist already.</summary>
    public int DirectoryCount => _directories.Count;

    public int NameCount => _names.Count;

    public int Removed { get; private set; }

    public bool HasDirectory(string rel) => _directories.Contains(rel);

    /// <summary>A file or symlink with this relative path is present (and may be kept or replaced).</summary>
    public bool HasName(string rel) => _names.ContainsKey(rel);

    /// <summary>The file or symlink present at <paramref name="rel"/> as the walk found it (its status, and a symlink's target).</summary>
    public bool TryGetName(string rel, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Name? name) => _names.TryGetValue(rel, out name);

    /// <summary>A name kept for the copy to check: what it links (the status of that inode) and, for a symlink, its target.</summary>
    public sealed record Name(FileStatus Status, string? LinkTarget);

    /// <summary>
    /// Lists the recycled tree at <paramref name="recycleDir"/> (every directory, each entry's status and a symlink's
    /// target, several directories at once: on a cold cache each is a read from disk) without changing anything, so it
    /// can run beside the listing of the host's trees, before the backup knows what it wants kept.
    /// </summary>
    public static Survey List(string recycleDir, int parallelism) => new(TreeLister.List([recycleDir], parallelism), recycleDir);

    /// <summary>
    /// Takes over the tree <paramref name="survey"/> listed, now at <paramref name="root"/>, leaving only what
    /// <paramref name="wanted"/> asks for: a directory where a directory is wanted, any other entry where a
    /// non-directory is wanted. Everything else goes. The names kept come with what the listing found (the status of
    /// the inode each links), so the copy needs no lookup of its own to tell whether one already links the right inode.
    /// </summary>
    /// <param name="wanted">Relative path to true for a directory, false for a file or symlink.</param>
    public static RecycledTree Reconcile(Survey survey, string root, IReadOnlyDictionary<string, bool> wanted, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(survey);
        ArgumentNullException.ThrowIfNull(wanted);
        var tree = new RecycledTree();
        var removals = new List<(string Path, bool Directory)>();
        var pending = new Stack<(string Listed, string Rel)>();
        pending.Push((survey.ListedRoot, ""));
        while (pending.Count > 0)
        {
            var (listed, rel) = pending.Pop();
            foreach (var child in survey.Listing.Children(listed))
            {
                var isDirectory = child.Status.Kind == FileKind.Directory;
                var childRel = rel.Length == 0 ? child.Name : rel + "/" + child.Name;
                if (wanted.TryGetValue(childRel, out var wantDirectory) && wantDirectory == isDirectory)
                {
                    if (isDirectory)
                    {
                        tree._directories.Add(childRel);
                        pending.Push((child.Path, childRel));
                    }
                    else
                    {
                        tree._names[childRel] = new Name(child.Status, child.LinkTarget);
                    }

                    continue;
                }

                removals.Add((Path.Combine(root, childRel), isDirectory));
            }
        }

        Workers.Run(removals, Math.Max(parallelism, Workers.UnlinkParallelism), removal =>
        {
            if (removal.Directory)
            {
                TreeRemover.Remove(removal.Path, 1);
            }
            else
            {
                Posix.TryUnlink(removal.Path);
            }
        });
        tree.Removed = removals.Count;
        return tree;
    }

    /// <summary>What <see cref="List"/> found, under the name the tree had then.</summary>
    public sealed record Survey(TreeLister Listing, string ListedRoot);
}
