using System.Text.RegularExpressions;
using Talm.Recovery.Etcd;

namespace Talm.Recovery.Restore;

/// <summary>
/// The member name and peer URL the node's etcd runs with, read from its static pod manifest (with
/// the etcd container's environment applied, see <see cref="EtcdPodManifest"/>), so the restored data
/// directory describes the member that will start on it.
/// </summary>
public static partial class EtcdMemberIdentity
{
    public const string DefaultPeerUrl = "http://localhost:2380";

    /// <summary>The name and the first peer URL; <paramref name="defaultName"/> and <see cref="DefaultPeerUrl"/> where the manifest does not say.</summary>
    public static (string Name, string PeerUrl) FromManifest(string? etcdPodManifest, string defaultName)
    {
        if (etcdPodManifest is null) return (defaultName, DefaultPeerUrl);
        var manifest = EtcdPodManifest.Parse(etcdPodManifest);
        var peer = manifest.Flag("--initial-advertise-peer-urls")?.Split(',')[0];
        // OpenShift's pod exports the name (`export ETCD_NAME=${NODE_<node>_ETCD_NAME}`) rather than passing --name.
        var name = manifest.Flag("--name") ?? manifest.Flag("ETCD_NAME") ?? OnlyNodeEtcdName(manifest);
        return (name ?? defaultName, peer is not null && PeerUrl().IsMatch(peer) ? peer : DefaultPeerUrl);
    }

    private static string? OnlyNodeEtcdName(EtcdPodManifest manifest)
    {
        var names = manifest.Environment.Where(kv => kv.Key.StartsWith("NODE_", StringComparison.Ordinal) && kv.Key.EndsWith("_ETCD_NAME", StringComparison.Ordinal)).Select(kv => kv.Value).Distinct().ToList();
        return names.Count == 1 ? names[0] : null;
    }

    [GeneratedRegex(@"^https?://[A-Za-z0-9.\-\[\]:]+:[0-9]+$")]
    private static partial Regex PeerUrl();
}
