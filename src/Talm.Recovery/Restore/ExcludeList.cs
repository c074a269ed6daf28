namespace Talm.Recovery.Restore;

/// <summary>
/// <c>etc.exclude.list</c> with rsync's <c>--exclude-from</c> meaning for plain paths: a pattern with a
/// leading '/' is anchored at the tree root; one without matches the final components of a path (so
/// <c>.updated</c> matches that name at any depth). An excluded directory excludes everything below it.
/// Excluded paths are neither rewritten nor deleted.
/// </summary>
public sealed class ExcludeList
{
    private readonly List<string[]> _anchored = [];
    private readonly List<string[]> _floating = [];

    public static readonly ExcludeList Empty = new([]);

    public ExcludeList(IEnumerable<string> patterns)
    {
        foreach (var raw in patterns)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var anchored = line.StartsWith('/');
            var parts = line.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            (anchored ? _anchored : _floating).Add(parts);
        }
    }

    public static ExcludeList Load(string path) => File.Exists(path) ? new ExcludeList(File.ReadAllLines(path)) : Empty;

    /// <summary>True when the relative path (or one of its parent directories) is excluded.</summary>
    public bool IsExcluded(string relativePath)
    {
        if (_anchored.Count == 0 && _floating.Count == 0)
        {
            return false;
        }

        var parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);

        // Check each prefix of the path: excluding a directory excludes its contents.
        for (var end = 1; end <= parts.Length; end++)
        {
            foreach (var pattern in _anchored)
            {
                if (pattern.Length == end && Matches(parts, end, pattern))
                {
                    return true;
                }
            }

            foreach (var pattern in _floating)
            {
                if (pattern.Length <= end && Matches(parts, end, pattern))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool Matches(string[] parts, int end, string[] pattern)
    {
        var offset = end - pattern.Length;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (!string.Equals(parts[offset + i], pattern[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
