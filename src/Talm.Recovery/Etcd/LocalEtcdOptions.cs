namespace Talm.Recovery.Etcd;

/// <summary>How a <see cref="LocalEtcd"/> is started.</summary>
public sealed record LocalEtcdOptions
{
    /// <summary>The etcd binary: a path, or a name looked up on PATH.</summary>
    public string Binary { get; init; } = "etcd";

    /// <summary>The member's name; a restored snapshot's data answers only to the name it was restored with.</summary>
    public string Name { get; init; } = "default";

    /// <summary>The peer URL to listen on and advertise; null picks a free loopback port. A restored snapshot's data keeps the one it was restored with.</summary>
    public string? PeerUrl { get; init; }

    /// <summary>Where etcd writes its log (zap); null leaves it to etcd's standard error, which is discarded.</summary>
    public string? LogFile { get; init; }

    /// <summary>The backend quota; null keeps etcd's default (2 GiB).</summary>
    public long? QuotaBackendBytes { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public int Attempts { get; init; } = 3;
}
