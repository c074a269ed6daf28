using System.Text;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Manifest;

/// <summary>
/// Who a node is, as the backup records it and the restore compares it before changing anything. A field
/// is null when it cannot be told for certain: under a host root other than '/' without /etc/hostname
/// there is no trustworthy host name (the kernel's is the pod's, not the node's).
/// </summary>
public sealed record NodeIdentity
{
    public string? HostName { get; init; }

    /// <summary><c>/etc/machine-id</c>: made once when the node was installed, never changed by an upgrade.</summary>
    public string? MachineId { get; init; }

    /// <summary>os-release <c>ID</c> (e.g. <c>rhcos</c>).</summary>
    public string? OsId { get; init; }

    /// <summary>os-release <c>VERSION_ID</c>, for messages (the ostree deployment decides whether the OS is the same).</summary>
    public string? OsVersionId { get; init; }

    /// <summary>Reads the identity of the node whose root is <paramref name="hostRoot"/> (symlinks resolved inside it).</summary>
    public static NodeIdentity Read(string hostRoot)
    {
        using var root = ConfinedDirectory.Open(hostRoot);
        return Read(root, Path.GetFullPath(hostRoot) == "/");
    }

    /// <param name="root">The host root.</param>
    /// <param name="runningSystem">True when the root is the running system's own '/', whose kernel host name is the node's.</param>
    public static NodeIdentity Read(ConfinedDirectory root, bool runningSystem)
    {
        ArgumentNullException.ThrowIfNull(root);
        var hostName = FirstLine(root, "etc/hostname");
        if (hostName is null && runningSystem)
        {
            hostName = Environment.MachineName;
        }

        var osRelease = TryRead(root, "etc/os-release", 64 << 10) ?? TryRead(root, "usr/lib/os-release", 64 << 10);
        var fields = osRelease is null ? [] : ParseOsRelease(Encoding.UTF8.GetString(osRelease));
        return new NodeIdentity
        {
            HostName = hostName,
            MachineId = FirstLine(root, "etc/machine-id"),
            OsId = fields.GetValueOrDefault("ID"),
            OsVersionId = fields.GetValueOrDefault("VERSION_ID"),
        };
    }

    /// <summary>The identity is advisory: a file that cannot be read leaves its fact unknown, it never fails the caller.</summary>
    private static byte[]? TryRead(ConfinedDirectory root, string relative, int maxBytes)
    {
        try
        {
            return root.TryReadFileInRoot(relative, maxBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? FirstLine(ConfinedDirectory root, string relative)
    {
        var bytes = TryRead(root, relative, 4096);
        var line = bytes is null ? null : Encoding.UTF8.GetString(bytes).Split('\n')[0].Trim();
        return string.IsNullOrEmpty(line) ? null : line;
    }

    private static Dictionary<string, string> ParseOsRelease(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || equals <= 0)
            {
                continue;
            }

            var value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            fields[line[..equals]] = value;
        }

        return fields;
    }
}
