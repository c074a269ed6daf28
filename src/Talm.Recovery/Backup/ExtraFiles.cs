using System.Text.Json;
using Talm.Recovery.Host;

namespace Talm.Recovery.Backup;

/// <summary>
/// The machine-config-managed files outside the three copied trees: they go into <c>extras.tgz</c>
/// so a restore puts back everything the machine config wrote.
/// </summary>
public static class ExtraFiles
{
    private static readonly string[] CopiedTrees = ["/etc/", "/usr/local/", "/var/lib/kubelet/"];

    /// <summary>Host-absolute paths named in the current machine config, outside the copied trees, that exist.</summary>
    public static IReadOnlyList<string> Find(HostPaths host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return [.. Listed(host).Where(path => File.Exists(host.Combine(path)) || Directory.Exists(host.Combine(path)))];
    }

    /// <summary>Host-absolute paths named in the current machine config, outside the copied trees, whether they exist or not.</summary>
    public static IReadOnlyList<string> Listed(HostPaths host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!File.Exists(host.MachineConfig))
        {
            return [];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(host.MachineConfig));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{host.MachineConfig} is not valid JSON ({e.Message}); the machine-config daemon's current config is damaged", e);
        }

        using (document)
        {
            var result = new SortedSet<string>(StringComparer.Ordinal);
            if (document.RootElement.TryGetProperty("spec", out var spec)
                && spec.TryGetProperty("config", out var config)
                && config.TryGetProperty("storage", out var storage)
                && storage.TryGetProperty("files", out var files)
                && files.ValueKind == JsonValueKind.Array)
            {
                foreach (var file in files.EnumerateArray())
                {
                    if (!file.TryGetProperty("path", out var pathElement) || pathElement.GetString() is not { } path)
                    {
                        continue;
                    }

                    if (!path.StartsWith('/') || CopiedTrees.Any(t => path.StartsWith(t, StringComparison.Ordinal)))
                    {
                        continue;
                    }

                    result.Add(path);
                }
            }

            return [.. result];
        }
    }
}
