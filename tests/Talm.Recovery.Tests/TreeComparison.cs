using Talm.Recovery.Platform;

namespace Talm.Recovery.Tests;

/// <summary>Everything that differs between a source tree and its copy: kinds, modes, owners, mtimes, contents, links, hard links, xattrs.</summary>
public static class TreeComparison
{
    public static IReadOnlyList<string> Differences(string source, string copy)
    {
        var problems = new List<string>();
        var sourceLinks = new Dictionary<(ulong, ulong), string>();
        var copyLinks = new Dictionary<(ulong, ulong), string>();
        foreach (var rel in Walk(source))
        {
            var s = Posix.LStat(Path.Join(source, rel));
            var c = Posix.TryLStat(Path.Join(copy, rel));
            if (c is null)
            {
                problems.Add($"{rel}: missing in copy");
                continue;
            }

            if (s.Kind != c.Kind)
            {
                problems.Add($"{rel}: kind {s.Kind} vs {c.Kind}");
                continue;
            }

            if (s.Kind != FileKind.Symlink && s.Permissions != c.Permissions)
            {
                problems.Add($"{rel}: mode {Convert.ToString(s.Permissions, 8)} vs {Convert.ToString(c.Permissions, 8)}");
            }

            if (s.Uid != c.Uid || s.Gid != c.Gid)
            {
                problems.Add($"{rel}: owner {s.Uid}:{s.Gid} vs {c.Uid}:{c.Gid}");
            }

            if (s.MtimeNs != c.MtimeNs)
            {
                problems.Add($"{rel}: mtime {s.MtimeNs} vs {c.MtimeNs}");
            }

            var sx = Posix.GetXattrs(Path.Join(source, rel));
            var cx = Posix.GetXattrs(Path.Join(copy, rel));
            if (sx.Count != cx.Count || sx.Any(p => !cx.TryGetValue(p.Key, out var v) || !v.SequenceEqual(p.Value)))
            {
                problems.Add($"{rel}: xattrs [{string.Join(',', sx.Keys)}] vs [{string.Join(',', cx.Keys)}]");
            }

            switch (s.Kind)
            {
                case FileKind.Symlink:
                    if (new FileInfo(Path.Join(source, rel)).LinkTarget != new FileInfo(Path.Join(copy, rel)).LinkTarget)
                    {
                        problems.Add($"{rel}: link target differs");
                    }

                    break;
                case FileKind.Regular:
                    if (!File.ReadAllBytes(Path.Join(source, rel)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(copy, rel))))
                    {
                        problems.Add($"{rel}: content differs");
                    }

                    if (s.LinkCount > 1 || c.LinkCount > 1)
                    {
                        var sFirst = sourceLinks.TryGetValue((s.Device, s.Inode), out var sf) ? sf : sourceLinks[(s.Device, s.Inode)] = rel;
                        var cFirst = copyLinks.TryGetValue((c.Device, c.Inode), out var cf) ? cf : copyLinks[(c.Device, c.Inode)] = rel;
                        if (s.LinkCount > 1 && sFirst != cFirst)
                        {
                            problems.Add($"{rel}: hard link to {sFirst} in source, to {cFirst} in copy");
                        }
                    }

                    break;
            }
        }

        var inSource = Walk(source).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(Walk(copy).Where(rel => !inSource.Contains(rel)).Select(rel => $"{rel}: extra in copy"));
        return problems;
    }

    public static IEnumerable<string> Walk(string root)
    {
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            var rel = pending.Pop();
            foreach (var child in Directory.EnumerateFileSystemEntries(Path.Join(root, rel)).Order(StringComparer.Ordinal))
            {
                var childRel = rel.Length == 0 ? Path.GetFileName(child) : rel + "/" + Path.GetFileName(child);
                yield return childRel;
                if (Posix.LStat(child).Kind == FileKind.Directory)
                {
                    pending.Push(childRel);
                }
            }
        }
    }
}
