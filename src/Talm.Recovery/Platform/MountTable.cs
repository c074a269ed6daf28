using System.Globalization;
using System.Text;

namespace Talm.Recovery.Platform;

/// <summary>The mount points this process sees (<c>/proc/self/mountinfo</c>).</summary>
public sealed class MountTable
{
    private readonly HashSet<string> _points;

    private MountTable(IEnumerable<string> points) => _points = new HashSet<string>(points, StringComparer.Ordinal);

    public IReadOnlyCollection<string> MountPoints => _points;

    public static MountTable Current() => Parse(File.ReadAllText("/proc/self/mountinfo"));

    /// <summary>Reads mountinfo text: the fifth field of each line is the mount point, with space, tab, newline and backslash octal-escaped.</summary>
    public static MountTable Parse(string mountinfo)
    {
        ArgumentNullException.ThrowIfNull(mountinfo);
        var points = new List<string>();
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                points.Add(Unescape(fields[4]));
            }
        }

        return new MountTable(points);
    }

    public bool IsMountPoint(string path) => _points.Contains(Normalize(path));

    /// <summary>True when a mount strictly below <paramref name="root"/> holds <paramref name="path"/> (the path itself or a parent of it).</summary>
    public bool IsUnderMountBelow(string root, string path)
    {
        var r = Normalize(root);
        var p = Normalize(path);
        return _points.Any(m => m != r && IsWithin(m, r) && IsWithin(p, m));
    }

    /// <summary>True when some mount lies strictly below <paramref name="root"/>.</summary>
    public bool HasMountsBelow(string root)
    {
        var r = Normalize(root);
        return _points.Any(m => m != r && IsWithin(m, r));
    }

    private static bool IsWithin(string path, string dir) =>
        dir == "/" || path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);

    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && int.TryParse(field.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }
}
