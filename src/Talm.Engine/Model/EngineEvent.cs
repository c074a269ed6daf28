namespace Talm.Engine.Model;

/// <summary>
/// A Kubernetes Event about the CGU, shaped like the reference's events.k8s.io/v1 Events: type,
/// reason, action, note, annotations and an optional related object (a ManagedCluster).
/// </summary>
public sealed record EngineEvent
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    public string Type { get; init; } = Normal;
    public required string Reason { get; init; }
    public required string Action { get; init; }
    public required string Note { get; init; }
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>The ManagedCluster the event is about, if any (the Event's "related").</summary>
    public string? RelatedCluster { get; init; }

    /// <summary>Ours: the cluster and final state of a finished backup, for metrics (not in the reference).</summary>
    public string? BackupCluster { get; init; }

    public string? BackupState { get; init; }

    /// <summary>Ours: the finished backup's facts, when its Job showed any (for metrics).</summary>
    public Talm.Api.Cgu.BackupDetails? BackupDetails { get; init; }
}
