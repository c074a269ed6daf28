namespace Talm.Recovery.Etcd;

/// <summary>How to reach etcd: a loopback client URL and, for https, the client certificate files.</summary>
public sealed record EtcdConnection
{
    public required Uri Endpoint { get; init; }

    /// <summary>PEM CA bundle that signed the server certificate; null trusts the system store.</summary>
    public string? CaCertFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }
}
