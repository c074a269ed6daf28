namespace Talm.Recovery.Etcd;

/// <summary>A snapshot written to disk whose SHA-256 trailer matched its database bytes.</summary>
/// <param name="DbSha256">Hex SHA-256 of the database part (equal to the trailer).</param>
/// <param name="FileSha256">Hex SHA-256 of the whole file as written, trailer included.</param>
public sealed record SnapshotResult(long TotalBytes, string DbSha256, string FileSha256, long Revision);
