namespace Talm.Recovery.Etcd;

/// <summary>How to reach etcd: a loopback client URL and, for https, the client certificate files.</summary>
public sealed record EtcdConnection
{
    public required Uri Endpoint { get; init; }

    /// <summary>PEM CA bundle that signed the server certificate; null trusts the system store.</summary>
    public string? CaCertFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>
    /// How long etcd may stay silent: to connect, to answer each request, and between two pieces of a
    /// snapshot stream. A silent etcd fails the backup after this, never hangs it.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = DefaultCallTimeout;

    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(30);
}
