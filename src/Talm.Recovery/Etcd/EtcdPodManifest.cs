using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Talm.Recovery.Etcd;

/// <summary>
/// The etcd container of the node's etcd static pod manifest: its command line and its literal
/// environment. OpenShift's manifest passes values through that environment (for example
/// <c>--name=${NODE_&lt;node&gt;_ETCD_NAME}</c>), so flags are read with it applied. Text that is not
/// a pod manifest is read as a command line as it is.
/// </summary>
public sealed partial class EtcdPodManifest
{
    private readonly string _commandLine;
    private readonly Dictionary<string, string> _environment;

    private EtcdPodManifest(string commandLine, Dictionary<string, string> environment)
    {
        _commandLine = commandLine;
        _environment = environment;
    }

    public static EtcdPodManifest Parse(string manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
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
        if (container is null) return new EtcdPodManifest(manifest, environment);
        if (Child(container, "env") is YamlSequenceNode env)
        {
            foreach (var entry in env.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(Child(entry, "name")) is { } key && Scalar(Child(entry, "value")) is { } value)
                    environment[key] = value;
            }
        }
        return new EtcdPodManifest(Text(container), environment);
    }

    /// <summary>The etcd container's literal environment (<c>env[].value</c>; <c>valueFrom</c> entries are left out).</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>The value of a flag such as <c>--name</c>, with ${VAR} and $VAR expanded; null when absent or not fully resolved.</summary>
    public string? Flag(string flag)
    {
        var match = Regex.Match(_commandLine, $@"(?<![\w-]){Regex.Escape(flag)}[= ]""?(?<value>[^\s""'\\]+)");
        if (!match.Success) return null;
        var value = Variable().Replace(match.Groups["value"].Value, m =>
            _environment.TryGetValue(m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["bare"].Value, out var v) ? v : m.Value);
        return value.Contains('$', StringComparison.Ordinal) ? null : value;
    }

    private static string Text(YamlMappingNode container) =>
        string.Join(' ', new[] { "command", "args" }.Select(k => Child(container, k)).OfType<YamlSequenceNode>()
            .SelectMany(s => s.Children).Select(Scalar).OfType<string>());

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode? node) => (node as YamlScalarNode)?.Value;

    [GeneratedRegex(@"\$(?:\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?<bare>[A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex Variable();
}
