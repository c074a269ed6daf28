using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;

namespace Talm.Recovery.Restore;

/// <summary>
/// Is this backup of this node, and was it taken on the OS the node runs now? Each fact is compared when
/// both sides know it: host name, machine-id, os-release ID, and the ostree deployment (after the
/// rollback the node must run the very commit the backup pinned).
/// </summary>
public sealed record BackupOrigin(IReadOnlyList<string> Mismatches, IReadOnlyList<string> Unconfirmed)
{
    private const int Facts = 4;

    /// <summary>True when at least one fact was compared and none differed.</summary>
    public bool Confirmed => Mismatches.Count == 0 && Unconfirmed.Count < Facts;

    public static BackupOrigin Compare(BackupManifest manifest, NodeIdentity node, OstreeDeployment? active)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(node);
        var mismatches = new List<string>();
        var unconfirmed = new List<string>();
        void Fact(string what, string? backup, string? here, Func<string, string, string> describe)
        {
            if (backup is null || here is null)
            {
                unconfirmed.Add(what);
            }
            else if (!string.Equals(backup, here, StringComparison.Ordinal))
            {
                mismatches.Add(describe(backup, here));
            }
        }

        var recorded = manifest.Node;
        Fact("host name", recorded?.HostName, node.HostName, (b, h) => $"host name: the backup's is {b}, this node's is {h}");
        Fact("machine-id", recorded?.MachineId, node.MachineId, (b, h) => $"machine-id: the backup's is {b}, this node's is {h}");
        Fact("OS name", recorded?.OsId, node.OsId, (b, h) => $"OS: the backup was taken on {b}, this node runs {h}");
        Fact("OS deployment", manifest.Ostree?.Checksum, active?.Checksum, (b, h) =>
            $"OS: the backup was taken on {manifest.Ostree!.Version ?? "an unnamed version"} ({Short(b)}), this node runs {active!.Version ?? "an unnamed version"} ({Short(h)})");
        return new BackupOrigin(mismatches, unconfirmed);
    }

    private static string Short(string checksum) => checksum.Length > 12 ? checksum[..12] : checksum;
}
