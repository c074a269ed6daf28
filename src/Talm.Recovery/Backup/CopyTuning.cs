namespace Talm.Recovery.Backup;

/// <summary>How the tree copy spreads its work (measured choices: see bench/backup/README.md).</summary>
public sealed record CopyTuning
{
    /// <summary>Workers copying files below <see cref="LargeFileThreshold"/> (and reusing unchanged ones).</summary>
    public int SmallFileParallelism { get; init; } = 16;

    /// <summary>Workers streaming large files, at the same time as the small-file workers.</summary>
    public int LargeFileParallelism { get; init; } = 4;

    public long LargeFileThreshold { get; init; } = 4L << 20;

    /// <summary>Start writeback of each large file as it is written instead of leaving it all to the final syncfs.</summary>
    public bool EarlyWriteback { get; init; } = true;

    /// <summary>
    /// Start writeback of each small file too. Off: one write request per small file costs more
    /// (system time, and the disk serves them one by one) than the final syncfs writing them together.
    /// </summary>
    public bool SmallFileWriteback { get; init; }

    /// <summary>Write large files whose source is not in the page cache around it (O_DIRECT), where the filesystem allows.</summary>
    public bool DirectWrites { get; init; } = true;
}
