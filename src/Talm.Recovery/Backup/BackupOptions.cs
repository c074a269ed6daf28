using Talm.Recovery.Etcd;

namespace Talm.Recovery.Backup;

public sealed record BackupOptions
{
    public required string HostRoot { get; init; }

    public required string BackupDir { get; init; }

    /// <summary>Null: discover from the host's etcd static pod.</summary>
    public EtcdConnection? Etcd { get; init; }

    public bool Images { get; init; }

    /// <summary>
    /// The host root is the backup Job's <c>/host</c>, assembled from hostPath volumes: every node path the
    /// backup reads or writes must lie on one of them (see <see cref="JobVolumes"/>).
    /// </summary>
    public bool HostRootFromVolumes { get; init; }

    /// <summary>Free space required beyond the estimate (reference: 10 GiB).</summary>
    public long SpaceMargin { get; init; } = 10L << 30;

    /// <summary>
    /// Restore points to keep, the new backup included (<c>--keep N</c>, remembered in the directory, see
    /// <see cref="Layout.BackupDirectory.ResolveKeep"/>); null: as remembered, else 1.
    /// </summary>
    public int? Keep { get; init; }

    /// <summary>When old and new backups cannot both fit, drop the old ones first (older restore points, then the current one) instead of failing.</summary>
    public bool ReplaceExisting { get; init; }

    /// <summary>Small files copied at once; also the workers removing a superseded backup.</summary>
    public int Parallelism { get; init; } = 16;

    /// <summary>Large files streamed at once, beside the small files.</summary>
    public int LargeFileParallelism { get; init; } = 4;

    /// <summary>Start writeback of each file as it is written (the final syncfs still makes it durable).</summary>
    public bool EarlyWriteback { get; init; } = true;

    /// <summary>Start writeback of each small file as well (else the final syncfs writes them together).</summary>
    public bool SmallFileWriteback { get; init; }

    /// <summary>Write large files read from the disk (not the page cache) with O_DIRECT where the filesystem allows (the final syncfs still makes them durable).</summary>
    public bool DirectWrites { get; init; } = true;

    public required ProgramLocation Program { get; init; }

    public required string ToolVersion { get; init; }

    /// <summary>Names of the host tools, replaceable for tests.</summary>
    public string Ostree { get; init; } = "ostree";

    public string Tar { get; init; } = "tar";

    public string Podman { get; init; } = "podman";

    public TimeSpan ProgressPeriod { get; init; } = TimeSpan.FromMilliseconds(500);
}
