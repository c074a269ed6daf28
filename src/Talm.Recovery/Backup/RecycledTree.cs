using System.Collections.Concurrent;
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
    /// Walks <paramref name="root"/> (several directories at once: on a cold cache each is a read from
    /// disk) and leaves only what <paramref name="wanted"/> asks for: a directory where a directory is
    /// wanted, any other entry where a non-directory is wanted. Everything else goes. Each name kept is
    /// looked up once, relative to its open directory, so the copy needs no lookup of its own to tell
    /// whether it already links the right inode.
    /// </summary>
    /// <param name="wanted">Relative path to true for a directory, false for a file or symlink.</param>
    public static RecycledTree Reconcile(string root, IReadOnlyDictionary<string, bool> wanted, int parallelism)
    {
        var directories = new ConcurrentBag<string>();
        var names = new ConcurrentBag<(string, Name)>();
        var removed = 0;
        using var queue = new BlockingCollection<(string Path, string Rel)>();
        var pending = 1;
        queue.Add((root, ""));
        var failures = new ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, Math.Max(1, parallelism)).Select(_ => new Thread(() =>
        {
            foreach (var (directory, rel) in queue.GetConsumingEnumerable())
            {
                try
                {
                    foreach (var child in TreeLister.ListOne(directory))
                    {
                        var isDirectory = child.Status.Kind == FileKind.Directory;
                        var childRel = rel.Length == 0 ? child.Name : rel + "/" + child.Name;
                        var path = child.Path;
                        if (wanted.TryGetValue(childRel, out var wantDirectory) && wantDirectory == isDirectory)
                        {
                            if (isDirectory)
                            {
                                directories.Add(childRel);
                                Interlocked.Increment(ref pending);
                                queue.Add((path, childRel));
                            }
                            else
                            {
                                names.Add((childRel, new Name(child.Status, child.LinkTarget)));
                            }

                            continue;
                        }

                        Interlocked.Increment(ref removed);
                        if (isDirectory)
                        {
                            TreeRemover.Remove(path, 1);
                        }
                        else
                        {
                            Posix.TryUnlink(path);
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failures.Enqueue(e);
                }
                finally
                {
                    if (Interlocked.Decrement(ref pending) == 0)
                    {
                        queue.CompleteAdding();
                    }
                }
            }
        })
        { IsBackground = true, Name = "recycled tree" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failures.TryDequeue(out var failure))
        {
            throw failure;
        }

        var tree = new RecycledTree { Removed = removed };
        tree._directories.UnionWith(directories);
        foreach (var (rel, name) in names)
        {
            tree._names[rel] = name;
        }
        return tree;
    }
}
