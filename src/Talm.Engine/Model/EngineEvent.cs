namespace Talm.Engine.Model;

public enum EngineEventKind
{
    CguStarted,
    BackupFinished,
    PrecacheFinished,
    BatchStarted,
    BatchTimedOut,
    ClusterCompleted,
    Completed,
    TimedOut,
    Failed,
    CleanedUp,
}

/// <summary>Something worth a Kubernetes Event. <see cref="Warning"/> maps to event type Warning.</summary>
public sealed record EngineEvent(EngineEventKind Kind, string Reason, string Message, bool Warning = false)
{
    /// <summary>The cluster concerned, if any.</summary>
    public string? Cluster { get; init; }

    /// <summary>A final state (backup/pre-cache) or batch number, if any.</summary>
    public string? Detail { get; init; }
}
