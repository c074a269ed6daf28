using Talm.Recovery.Platform;

namespace Talm.Bench.Backup;

/// <summary>The sandbox host's three copied trees: their size, reading them into the page cache, changing some of their bytes.</summary>
internal static class HostFiles
{
    public static readonly string[] Trees = ["etc", "usr/local", "var/lib/kubelet"];

    public static (long Files, long Bytes) Census(string root)
    {
        long files = 0, bytes = 0;
        foreach (var file in Trees.SelectMany(t => RegularFiles(Path.Combine(root, t))))
        {
            files++;
            bytes += Posix.LStat(file).Size;
        }

        return (files, bytes);
    }

    /// <summary>Reads every file of the trees and the etcd database, so that a warm run finds them all in the page cache.</summary>
    public static void Warm(string root)
    {
        var buffer = new byte[1 << 20];
        foreach (var file in Trees.SelectMany(t => RegularFiles(Path.Combine(root, t))).Append(Path.Combine(root, "var/lib/etcd/member/snap/db")))
        {
            // Not a FileStream: its advisory lock would conflict with etcd's on the database.
            using var handle = Posix.OpenRead(file, sequential: true);
            long offset = 0;
            int read;
            while ((read = Posix.Read(handle, buffer, offset, file)) > 0)
            {
                offset += read;
            }
        }
    }

    /// <summary>Looks up every name under <paramref name="directory"/> (a previous backup), so that a warm run finds its inodes cached.</summary>
    public static void WarmNames(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        // Every name looked up once (lstat) is all a warm run needs of a previous backup.
        _ = Entries(directory).Count();
    }

    /// <summary>
    /// Rewrites files, in place and with new random content of the same size, until they hold
    /// <paramref name="fraction"/> of the trees' bytes; files are taken in a shuffled order (one seed
    /// per round) and a file that would overshoot is skipped. Static pod manifests and the machine
    /// config stay intact: the backup reads them.
    /// </summary>
    public static (long Files, long Bytes) ChangeBytes(string root, double fraction, int seed)
    {
        var all = Trees
            .SelectMany(t => RegularFiles(Path.Combine(root, t)))
            .Where(f => !f.Contains("/etc/kubernetes/manifests/", StringComparison.Ordinal) && !f.EndsWith("/currentconfig", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path: f, Size: Posix.LStat(f).Size))
            .ToList();
        var budget = (long)(all.Sum(f => f.Size) * fraction);
        var random = new Random(seed);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all));
        long files = 0, bytes = 0;
        foreach (var (path, size) in all)
        {
            if (bytes + size > budget)
            {
                continue;
            }

            var content = new byte[size];
            random.NextBytes(content);
            File.WriteAllBytes(path, content);
            files++;
            bytes += size;
        }

        return (files, bytes);
    }

    // Regular files under a directory, without following symlinks (kubelet volumes link ..data to a directory).
    private static IEnumerable<string> RegularFiles(string directory) =>
        Entries(directory).Where(e => e.Kind == FileKind.Regular).Select(e => e.Path);

    /// <summary>Every name below <paramref name="directory"/>, looked up with lstat: symlinks are not followed.</summary>
    private static IEnumerable<(string Path, FileKind Kind)> Entries(string directory)
    {
        var pending = new Stack<string>([directory]);
        while (pending.Count > 0)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(pending.Pop()))
            {
                var kind = Posix.LStat(entry).Kind;
                if (kind == FileKind.Directory)
                {
                    pending.Push(entry);
                }

                yield return (entry, kind);
            }
        }
    }
}
