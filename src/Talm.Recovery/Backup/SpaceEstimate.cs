namespace Talm.Recovery.Backup;

/// <summary>
/// Bytes the new backup will add to the backup filesystem, each counted once: files of the three
/// trees that cannot be reused from the previous backup (hard links once; static pod resources are
/// part of /etc and counted there only), the etcd database, the archive of the current static pod
/// revisions, the extras and the saved program.
/// </summary>
public sealed record SpaceEstimate(long TreeBytes, long EtcdBytes, long StaticPodBytes, long ExtrasBytes)
{
    public long Total => TreeBytes + EtcdBytes + StaticPodBytes + ExtrasBytes;

    /// <summary>The free space required: the estimate plus the margin, at most <see cref="long.MaxValue"/> (never wrapping round to a negative that would turn the check off).</summary>
    public long WithMargin(long margin) => margin >= long.MaxValue - Total ? long.MaxValue : Total + Math.Max(0, margin);

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>Size of every regular file under <paramref name="path"/>, each inode once.</summary>
    public static long SizeOf(string path)
    {
        if (File.Exists(path))
        {
            return new FileInfo(path).Length;
        }

        if (!Directory.Exists(path))
        {
            return 0;
        }

        long total = 0;
        var seen = new HashSet<(ulong, ulong)>();
        var pending = new Stack<string>([path]);
        while (pending.Count > 0)
        {
            // Own walk: .NET's recursive enumeration follows symlinked directories (kubelet's ..data).
            foreach (var entry in Directory.EnumerateFileSystemEntries(pending.Pop()))
            {
                var status = Platform.Posix.TryLStat(entry);
                if (status is { Kind: Platform.FileKind.Directory })
                {
                    pending.Push(entry);
                }
                else if (status is { Kind: Platform.FileKind.Regular } && seen.Add((status.Device, status.Inode)))
                {
                    total += status.Size;
                }
            }
        }

        return total;
    }
}
