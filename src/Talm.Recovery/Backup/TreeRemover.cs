using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>Deletes a large tree (a superseded backup: tens of thousands of files) with files unlinked on dedicated threads (see <see cref="Workers.UnlinkParallelism"/>).</summary>
public static class TreeRemover
{
    public static void Remove(string root, int parallelism)
    {
        if (Posix.TryLStat(root) is not { Kind: FileKind.Directory })
        {
            return;
        }

        var files = new List<string>();
        var directories = new List<string>();
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            directories.Add(directory);
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                if (Posix.TryLStat(entry) is { Kind: FileKind.Directory })
                {
                    pending.Push(entry);
                }
                else
                {
                    files.Add(entry);
                }
            }
        }

        Workers.Run(files, parallelism <= 1 ? 1 : Math.Max(parallelism, Workers.UnlinkParallelism), path => Posix.TryUnlink(path));
        // Parents were listed before their children: remove in reverse so each is empty when its turn comes.
        for (var i = directories.Count - 1; i >= 0; i--)
        {
            Directory.Delete(directories[i]);
        }
    }
}
