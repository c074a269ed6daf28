namespace Talm.Recovery.Ostree;

/// <summary>One deployment as <c>ostree admin status</c> lists it; index 0 boots next.</summary>
public sealed record OstreeDeployment
{
    public required int Index { get; init; }

    public required string OsName { get; init; }

    public required string Checksum { get; init; }

    public required int Serial { get; init; }

    public bool Booted { get; init; }

    public bool Pending { get; init; }

    public bool Rollback { get; init; }

    public bool Staged { get; init; }

    public bool Pinned { get; init; }

    public string? Version { get; init; }

    public string? Origin { get; init; }

    /// <summary>The name ostree uses for the deployment directory: <c>checksum.serial</c>.</summary>
    public string Id => $"{Checksum}.{Serial}";
}
