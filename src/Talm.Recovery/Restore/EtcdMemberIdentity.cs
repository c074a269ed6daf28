using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Talm.Recovery.Restore;

/// <summary>
/// The member name and peer URL the node's etcd runs with, read from its static pod manifest, so the
/// restored data directory describes the member that will start on it. OpenShift's manifest passes
/// them through its own environment (<c>--name=${NODE_&lt;node&gt;_ETCD_NAME}</c>,
/// <c>--initial-advertise-peer-urls=https://${NODE_&lt;node&gt;_IP}:2380</c>), so the etcd container's
/// <c>env</c> is applied to its command line before the flags are read.
/// </summary>
public static partial class EtcdMemberIdentity
{
    public const string DefaultPeerUrl = "http://localhost:2380";

    /// <summary>The name and the first peer URL; <paramref name="defaultName"/> and <see cref="DefaultPeerUrl"/> where the manifest does not say.</summary>
    public static (string Name, string PeerUrl) FromManifest(string? etcdPodManifest, string defaultName)
    {
        if (etcdPodManifest is null) return (defaultName, DefaultPeerUrl);
        var (commandLine, environment) = EtcdContainer(etcdPodManifest);
        var name = Flag(NameFlag(), commandLine, environment);
        var peer = Flag(PeerFlag(), commandLine, environment)?.Split(',')[0];
        return (name ?? defaultName, peer is not null && PeerUrl().IsMatch(peer) ? peer : DefaultPeerUrl);
    }

    /// <summary>The etcd container's command and arguments as one text, and its literal environment; the raw text when it is not YAML.</summary>
    private static (string CommandLine, Dictionary<string, string> Environment) EtcdContainer(string manifest)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        YamlMappingNode? container = null;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(manifest));
            if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode pod &&
                Child(Child(pod, "spec"), "containers") is YamlSequenceNode containers)
            {
                var all = containers.Children.OfType<YamlMappingNode>().ToList();
                container = all.FirstOrDefault(c => Scalar(Child(c, "name")) == "etcd") ?? all.FirstOrDefault(c => Text(c).Contains("etcd ", StringComparison.Ordinal));
            }
        }
        catch (YamlException)
        {
            // Not YAML after all: read the flags from the text as it is.
        }
        if (container is null) return (manifest, environment);
        if (Child(container, "env") is YamlSequenceNode env)
        {
            foreach (var entry in env.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(Child(entry, "name")) is { } key && Scalar(Child(entry, "value")) is { } value)
                    environment[key] = value;
            }
        }
        return (Text(container), environment);
    }

    private static string Text(YamlMappingNode container) =>
        string.Join(' ', new[] { "command", "args" }.Select(k => Child(container, k)).OfType<YamlSequenceNode>()
            .SelectMany(s => s.Children).Select(Scalar).OfType<string>());

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode? node) => (node as YamlScalarNode)?.Value;

    /// <summary>The flag's value with ${VAR} and $VAR expanded from the container's environment; null when absent or not fully resolved.</summary>
    private static string? Flag(Regex flag, string commandLine, Dictionary<string, string> environment)
    {
        var match = flag.Match(commandLine);
        if (!match.Success) return null;
        var value = Variable().Replace(match.Groups["value"].Value, m =>
            environment.TryGetValue(m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["bare"].Value, out var v) ? v : m.Value);
        return value.Contains('$', StringComparison.Ordinal) ? null : value;
    }

    [GeneratedRegex(@"(?<![\w-])--name[= ]""?(?<value>[^\s""\\]+)")]
    private static partial Regex NameFlag();

    [GeneratedRegex(@"(?<![\w-])--initial-advertise-peer-urls[= ]""?(?<value>[^\s""\\]+)")]
    private static partial Regex PeerFlag();

    [GeneratedRegex(@"\$(?:\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?<bare>[A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^https?://[A-Za-z0-9.\-\[\]:]+:[0-9]+$")]
    private static partial Regex PeerUrl();
}
