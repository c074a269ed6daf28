using System.Collections.Concurrent;
using System.IO.Enumeration;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// Lists whole trees, every directory's entries with their status (and a symlink's target), on several
/// threads at once: on a cold cache each status is an inode read from disk, and a queue of them keeps
/// the disk busy where one thread would wait for each in turn. The listing is then walked in a fixed
/// order, so what is built from it does not depend on which thread was first.
/// </summary>
internal sealed class TreeLister
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<Child>> _listings = new(StringComparer.Ordinal);

    private TreeLister()
    {
    }

    /// <summary>One entry of a directory.</summary>
    public sealed record Child(string Name, string Path, FileStatus Status, string? LinkTarget);

    /// <summary>Lists every directory under <paramref name="roots"/> (which must be directories), on <paramref name="parallelism"/> threads.</summary>
    public static TreeLister List(IReadOnlyList<string> roots, int parallelism)
    {
        var lister = new TreeLister();
        if (roots.Count == 0)
        {
            return lister;
        }

        using var queue = new BlockingCollection<string>();
        var pending = roots.Count;
        foreach (var root in roots)
        {
            queue.Add(root);
        }

        var failures = new ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, Math.Max(1, parallelism)).Select(_ => new Thread(() =>
        {
            foreach (var directory in queue.GetConsumingEnumerable())
            {
                try
                {
                    var children = ListOne(directory);
                    lister._listings[directory] = children;
                    var subdirectories = children.Where(c => c.Status.Kind == FileKind.Directory).ToList();
                    Interlocked.Add(ref pending, subdirectories.Count);
                    foreach (var child in subdirectories)
                    {
                        queue.Add(child.Path);
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
        { IsBackground = true, Name = "tree lister" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return failures.TryDequeue(out var failure) ? throw failure : lister;
    }

    /// <summary>The entries of a listed directory in ordinal name order; empty when it vanished while listed.</summary>
    public IReadOnlyList<Child> Children(string directory) => _listings.TryGetValue(directory, out var children) ? children : [];

    // Each name is looked up relative to the open directory: a path from the root for each of ten
    // thousand entries would make the kernel walk every component again.
    private static List<Child> ListOne(string directory)
    {
        ConfinedDirectory open;
        List<string> names;
        try
        {
            open = ConfinedDirectory.Open(directory);
        }
        catch (NativeException e) when (e.Errno is NativeException.ENOENT or NativeException.ENOTDIR)
        {
            return []; // removed while we walked (kubelet volumes come and go)
        }

        using (open)
        {
            try
            {
                names = [.. new FileSystemEnumerable<string>(directory, (ref FileSystemEntry e) => e.FileName.ToString(), new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false })];
            }
            catch (DirectoryNotFoundException)
            {
                return [];
            }

            names.Sort(StringComparer.Ordinal);
            var children = new List<Child>(names.Count);
            foreach (var name in names)
            {
                var status = open.TryStat(name);
                if (status is null)
                {
                    continue;
                }

                string? target = null;
                if (status.Kind == FileKind.Symlink)
                {
                    try
                    {
                        target = open.ReadLink(name);
                    }
                    catch (NativeException e) when (e.Errno is NativeException.ENOENT or NativeException.EINVAL)
                    {
                        continue; // gone, or replaced by something else, since the listing
                    }
                }

                children.Add(new Child(name, System.IO.Path.Combine(directory, name), status, target));
            }

            return children;
        }
    }
}
