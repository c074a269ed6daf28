namespace Talm.Recovery.Etcd;

/// <summary>A snapshot written to disk whose SHA-256 trailer matched its database bytes.</summary>
/// <param name="DbSha256">Hex SHA-256 of the database part (equal to the trailer).</param>
/// <param name="FileSha256">Hex SHA-256 of the whole file as written, trailer included.</param>
/// <param name="Revision">etcd's revision: when the stream began, then (<see cref="SnapshotFacts"/>) the one the snapshot holds.</param>
public sealed record SnapshotResult(long TotalBytes, string DbSha256, string FileSha256, long Revision)
{
    /// <summary>How many keys etcd held at <see cref="Revision"/>; null when etcd could not say.</summary>
    public long? KeyCount { get; init; }
}
