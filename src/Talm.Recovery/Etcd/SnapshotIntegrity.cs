using System.Security.Cryptography;

namespace Talm.Recovery.Etcd;

/// <summary>
/// An etcd v3 snapshot is the bbolt database followed by the 32-byte SHA-256 of those bytes.
/// <c>etcdctl snapshot status</c> never checks it; this does.
/// </summary>
public static class SnapshotIntegrity
{
    public const int TrailerLength = 32;

    /// <summary>Re-reads a snapshot file; returns the hex hash of its database part, or a reason it is bad.</summary>
    public static SnapshotCheck Check(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        var length = stream.Length;
        if (length <= TrailerLength)
        {
            return SnapshotCheck.Bad($"{path} is {length} bytes: too short to be an etcd snapshot");
        }

        // bbolt pages are multiples of 512 bytes; a trailer is present exactly when the remainder is 32.
        if (length % 512 != TrailerLength)
        {
            return SnapshotCheck.Bad($"{path} has no SHA-256 trailer (size {length} is not a whole database plus 32 bytes)");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        var remaining = length - TrailerLength;
        while (remaining > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
            {
                return SnapshotCheck.Bad($"{path} ended early");
            }

            hash.AppendData(buffer, 0, read);
            remaining -= read;
        }

        var trailer = new byte[TrailerLength];
        stream.ReadExactly(trailer);
        var actual = hash.GetHashAndReset();
        return CryptographicOperations.FixedTimeEquals(actual, trailer)
            ? SnapshotCheck.Good(Convert.ToHexStringLower(actual))
            : SnapshotCheck.Bad($"{path}: the database's SHA-256 {Convert.ToHexStringLower(actual)} does not match the snapshot trailer {Convert.ToHexStringLower(trailer)}; the snapshot is corrupt");
    }
}

public sealed record SnapshotCheck(bool Ok, string? DbSha256, string? Problem)
{
    public static SnapshotCheck Good(string sha) => new(true, sha, null);

    public static SnapshotCheck Bad(string problem) => new(false, null, problem);
}
