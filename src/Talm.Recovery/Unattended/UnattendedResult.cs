namespace Talm.Recovery.Unattended;

/// <summary>
/// How the unattended restore of a node went, as it records it in <c>&lt;dir&gt;/restore-result.json</c> (the source of
/// truth, written before and after every step) and publishes it in the ConfigMap the hub can view.
/// </summary>
public sealed record UnattendedResult
{
    /// <summary><see cref="UnattendedState"/>: armed, running, succeeded or failed.</summary>
    public required string State { get; init; }

    /// <summary>The last stage the restore completed: not-started, started, restore_files, restore_cluster, or redeploy when it is complete.</summary>
    public required string Stage { get; init; }

    /// <summary>What happened, in the restore's own words (the whole error when it failed).</summary>
    public string? Message { get; init; }

    /// <summary>What a person does now, if anything.</summary>
    public string? Next { get; init; }

    /// <summary>The backup generation being restored (the one <c>current</c> names).</summary>
    public string? Generation { get; init; }

    /// <summary>The host the backup was taken on.</summary>
    public string? Host { get; init; }

    /// <summary>The unit that continues the restore at boot.</summary>
    public string Unit { get; init; } = Systemd.RestoreUnit.Name;

    public DateTimeOffset? ArmedAt { get; init; }

    /// <summary>When the run after the (last) reboot started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>How many times the unit's restore ran (one per boot it continued after).</summary>
    public int Runs { get; init; }

    /// <summary>When the result reached the cluster's API server (the ConfigMap), if it did.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>Why it did not, when it did not.</summary>
    public string? PublishProblem { get; init; }

    /// <summary>True once nothing more will happen without a person.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Finished => State is UnattendedState.Succeeded or UnattendedState.Failed;
}

/// <summary>The states of an unattended restore, as recorded.</summary>
public static class UnattendedState
{
    /// <summary>The unit is installed and enabled: the next boot continues the restore.</summary>
    public const string Armed = "armed";

    /// <summary>The unit's restore runs (or was interrupted: the node went down while it ran).</summary>
    public const string Running = "running";

    public const string Succeeded = "succeeded";

    /// <summary>The restore stopped; the unit is disabled and a person continues with --resume.</summary>
    public const string Failed = "failed";
}
