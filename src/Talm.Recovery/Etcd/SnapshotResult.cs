namespace Talm.Recovery.Etcd;

/// <summary>A snapshot written to disk whose SHA-256 trailer matched its database bytes.</summary>
public sealed record SnapshotResult(long TotalBytes, string DbSha256, long Revision);
