using System.IO.Enumeration;
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
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

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
    public bool HasName(string rel) => _names.Contains(rel);

    /// <summary>
    /// Walks <paramref name="root"/> and leaves only what <paramref name="wanted"/> asks for: a directory
    /// where a directory is wanted, any other entry where a non-directory is wanted. Everything else goes.
    /// </summary>
    /// <param name="wanted">Relative path to true for a directory, false for a file or symlink.</param>
    public static RecycledTree Reconcile(string root, IReadOnlyDictionary<string, bool> wanted)
    {
        var tree = new RecycledTree();
        var pending = new Stack<(string Path, string Rel)>();
        pending.Push((root, ""));
        while (pending.Count > 0)
        {
            var (directory, rel) = pending.Pop();
            var entries = new FileSystemEnumerable<(string Name, bool IsDirectory)>(
                directory,
                (ref FileSystemEntry e) => (e.FileName.ToString(), e.IsDirectory && (e.Attributes & FileAttributes.ReparsePoint) == 0),
                new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false }).ToList();
            foreach (var (name, isDirectory) in entries)
            {
                var path = Path.Combine(directory, name);
                var childRel = rel.Length == 0 ? name : rel + "/" + name;
                if (wanted.TryGetValue(childRel, out var wantDirectory) && wantDirectory == isDirectory)
                {
                    if (isDirectory)
                    {
                        tree._directories.Add(childRel);
                        pending.Push((path, childRel));
                    }
                    else
                    {
                        tree._names.Add(childRel);
                    }

                    continue;
                }

                tree.Removed++;
                if (isDirectory)
                {
                    TreeRemover.Remove(path, 4);
                }
                else
                {
                    Posix.TryUnlink(path);
                }
            }
        }

        return tree;
    }
}
