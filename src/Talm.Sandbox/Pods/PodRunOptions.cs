namespace Talm.Sandbox.Pods;

/// <summary>How the pod sandbox runs one pod.</summary>
public sealed record PodRunOptions
{
    /// <summary>Image name to what it stands for here; an image not listed cannot be run.</summary>
    public required IReadOnlyDictionary<string, ContainerImage> Images { get; init; }

    /// <summary>Where the container's log is appended (also returned in <see cref="PodResult.Log"/>); null keeps it in memory only.</summary>
    public string? LogFile { get; init; }

    /// <summary>A broken pod network: the pod gets its address but no route to the node.</summary>
    public bool NodeUnreachable { get; init; }
}
