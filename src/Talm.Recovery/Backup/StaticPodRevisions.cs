using System.Globalization;
using System.Text.RegularExpressions;
using Talm.Recovery.Host;

namespace Talm.Recovery.Backup;

/// <summary>
/// Finds the revision directory each of the four static pods currently runs, from the revision it
/// names in its manifest (<c>static-pod-resources/&lt;component&gt;-pod-&lt;N&gt;</c>).
/// </summary>
public static partial class StaticPodRevisions
{
    public static readonly IReadOnlyList<string> Components = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

    /// <summary>Paths relative to <c>/etc/kubernetes</c>, e.g. <c>static-pod-resources/etcd-pod-3</c>, for the components whose manifest exists.</summary>
    public static IReadOnlyList<string> CurrentRevisionDirs(HostPaths host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var result = new List<string>();
        foreach (var component in Components)
        {
            var manifest = Path.Combine(host.Manifests, component + "-pod.yaml");
            if (!File.Exists(manifest))
            {
                continue;
            }

            var text = File.ReadAllText(manifest);
            var revision = Regex.Matches(text, "static-pod-resources/" + Regex.Escape(component) + @"-pod-(\d+)")
                .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                .DefaultIfEmpty(-1)
                .Max();
            if (revision < 0)
            {
                var label = RevisionLabel().Match(text);
                revision = label.Success ? int.Parse(label.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
            }

            if (revision < 0)
            {
                throw new InvalidDataException($"{manifest} names no revision (no static-pod-resources/{component}-pod-N path and no revision label); is the static pod healthy?");
            }

            var dir = $"static-pod-resources/{component}-pod-{revision}";
            if (!Directory.Exists(Path.Combine(host.KubernetesDir, dir)))
            {
                throw new InvalidDataException($"{manifest} runs revision {revision} but {Path.Combine(host.KubernetesDir, dir)} is missing");
            }

            result.Add(dir);
        }

        return result;
    }

    [GeneratedRegex(@"revision:\s*""?(\d+)""?")]
    private static partial Regex RevisionLabel();
}
