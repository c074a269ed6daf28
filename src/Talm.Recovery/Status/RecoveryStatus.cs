namespace Talm.Recovery.Status;

/// <summary>Everything <c>talm recovery status</c> reports; serialised as is for <c>--output json</c>.</summary>
public sealed record RecoveryStatus(BackupStatusInfo Backup, OstreeStatusInfo Ostree, RestoreStatusInfo Restore);

public sealed record BackupStatusInfo
{
    public required string Dir { get; init; }

    public required bool Present { get; init; }

    /// <summary>Why there is no usable backup, when <see cref="Present"/> is false.</summary>
    public string? Problem { get; init; }

    public string? Host { get; init; }

    public DateTimeOffset? TakenAt { get; init; }

    public long? Files { get; init; }

    public long? Bytes { get; init; }

    public string? OsVersion { get; init; }

    public string? OstreeChecksum { get; init; }

    public long? EtcdRevision { get; init; }

    /// <summary>True/false after a full re-hash; null when not checked (--no-verify).</summary>
    public bool? Verified { get; init; }

    public IReadOnlyList<string> VerifyProblems { get; init; } = [];

    /// <summary>The current generation's ID (what <c>current</c> points to); null for a directory without generations.</summary>
    public string? Generation { get; init; }

    /// <summary>Every restore point, newest first: the current backup, then the older ones kept by <c>backup --keep N</c>.</summary>
    public IReadOnlyList<RestorePointInfo> RestorePoints { get; init; } = [];
}

/// <summary>One restore point as <c>status</c> lists it.</summary>
public sealed record RestorePointInfo
{
    public required string Id { get; init; }

    public required bool Current { get; init; }

    /// <summary>Why it cannot be described (its manifest is missing or unreadable); the other facts are then null.</summary>
    public string? Problem { get; init; }

    public DateTimeOffset? TakenAt { get; init; }

    public long? Files { get; init; }

    public long? Bytes { get; init; }

    /// <summary>Bytes of the files no other restore point shares (each hard-linked inode once): what removing it would free.</summary>
    public long? OwnBytes { get; init; }

    public string? OsVersion { get; init; }

    public string? OstreeChecksum { get; init; }

    public long? EtcdRevision { get; init; }

    /// <summary>True/false after a full re-hash; null when not checked (only the current one is, unless --verify-all).</summary>
    public bool? Verified { get; init; }

    public IReadOnlyList<string> VerifyProblems { get; init; } = [];
}

public sealed record DeploymentStatusInfo(int Index, string Checksum, int Serial, string? Version, bool Pinned, bool Booted);

public sealed record OstreeStatusInfo
{
    public required string Sysroot { get; init; }

    public IReadOnlyList<DeploymentStatusInfo> Deployments { get; init; } = [];

    /// <summary>The action the rollback table of docs/recovery.md calls for (None, MakeDefault, UndeployThenMakeDefault, NoPinnedDeployment).</summary>
    public string? RollbackAction { get; init; }

    public string? RollbackDescription { get; init; }

    public string? Problem { get; init; }
}

public sealed record RestoreStatusInfo
{
    /// <summary>not-started, or the last completed stage (started, restore_files, restore_cluster).</summary>
    public required string Stage { get; init; }

    public IReadOnlyList<string> CompletedStages { get; init; } = [];

    /// <summary>The restore point a started restore began from (see <c>restore --generation</c>); null when none is recorded.</summary>
    public string? Generation { get; init; }

    public required string Next { get; init; }

    /// <summary>The last unattended restore's record (restore-result.json), when there is one.</summary>
    public Unattended.UnattendedResult? Unattended { get; init; }
}
