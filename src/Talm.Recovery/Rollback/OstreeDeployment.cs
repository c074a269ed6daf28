namespace Talm.Recovery.Rollback;

/// <summary>One deployment as <c>ostree admin status</c> lists it; index 0 boots next.</summary>
public sealed record OstreeDeployment(
    int Index,
    string OsName,
    string Checksum,
    int DeploySerial,
    bool Pinned,
    bool Booted,
    string? Version)
{
    /// <summary>The name ostree gives the deployment directory: <c>checksum.serial</c>.</summary>
    public string Name => $"{Checksum}.{DeploySerial}";
}
