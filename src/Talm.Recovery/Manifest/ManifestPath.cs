using System.Text;

namespace Talm.Recovery.Manifest;

/// <summary>
/// The one rule for a path inside a backup (a manifest entry, a hard-link peer, the snapshot file):
/// '/'-separated names below the backup root, so that joining it under any root stays under that root.
/// </summary>
public static class ManifestPath
{
    /// <summary>Longest name the Linux filesystems we restore onto accept (NAME_MAX, in bytes).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Why <paramref name="path"/> is not a safe relative path, or null when it is.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "the path is empty";
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "the path holds a NUL character";
        }

        if (path[0] == '/')
        {
            return "the path is absolute";
        }

        foreach (var segment in path.Split('/'))
        {
            switch (segment)
            {
                case "":
                    return "the path has an empty segment ('//' or a trailing '/')";
                case ".":
                    return "the path has a '.' segment";
                case "..":
                    return "the path has a '..' segment";
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxNameBytes)
            {
                return $"a name in the path is longer than {MaxNameBytes} bytes";
            }
        }

        return null;
    }

    public static bool IsSafe(string? path) => Problem(path) is null;

    /// <summary>The directory part of a safe path ("" for a top-level name).</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    /// <summary>A path as messages show it: control characters escaped, so a hostile name cannot forge lines.</summary>
    public static string Show(string? path)
    {
        if (path is null)
        {
            return "(null)";
        }

        var builder = new StringBuilder(path.Length + 2);
        builder.Append('\'');
        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                builder.Append(c == '\0' ? "\\0" : $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append('\'').ToString();
    }
}
