using System.Security.Cryptography;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore.Tests;

/// <summary>Reads trees the way the restore must reproduce them (test-side, independent of the code under test).</summary>
public static class TreeFacts
{
    /// <summary>Manifest entries for every path under <paramref name="dir"/>, named <c>prefix/rel</c>.</summary>
    public static List<ManifestEntry> Entries(string dir, string prefix)
    {
        var entries = new List<ManifestEntry>();
        var firstByInode = new Dictionary<(ulong, ulong), string>();
        foreach (var rel in Walk(dir, "").Order(StringComparer.Ordinal))
        {
            var path = Path.Combine(dir, rel);
            var st = Posix.LStat(path);
            var kind = st.Kind switch
            {
                FileKind.Directory => EntryKind.Directory,
                FileKind.Symlink => EntryKind.Symlink,
                _ => EntryKind.File,
            };
            string? hardLinkTo = null;
            if (kind == EntryKind.File && st.LinkCount > 1)
            {
                if (firstByInode.TryGetValue((st.Device, st.Inode), out var first))
                {
                    hardLinkTo = first;
                }
                else
                {
                    firstByInode[(st.Device, st.Inode)] = prefix + "/" + rel;
                }
            }

            var xattrs = Posix.GetXattrs(path);
            entries.Add(new ManifestEntry
            {
                Path = prefix + "/" + rel,
                Kind = kind,
                Mode = st.Permissions,
                Uid = st.Uid,
                Gid = st.Gid,
                MtimeNs = st.MtimeNs,
                Size = kind == EntryKind.File ? st.Size : 0,
                Sha256 = kind == EntryKind.File ? Sha(path) : null,
                LinkTarget = kind == EntryKind.Symlink ? new FileInfo(path).LinkTarget : null,
                HardLinkTo = hardLinkTo,
                Xattrs = xattrs.Count == 0 ? null : xattrs.ToDictionary(kv => kv.Key, kv => Convert.ToBase64String(kv.Value)),
            });
        }

        return entries;
    }

    /// <summary>
    /// One line per path: kind, mode, owner, size, hash, link target, xattrs, hard-link group, and mtime if asked. A
    /// hard-link group is an inode named more than once in the tree (names outside it, such as another backup
    /// generation's links to an unchanged file, do not count).
    /// </summary>
    public static SortedDictionary<string, string> Describe(string dir, bool withTimes = true, Func<string, bool>? skip = null)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var groups = new Dictionary<(ulong, ulong), string>();
        var rels = Walk(dir, "").Order(StringComparer.Ordinal).Where(rel => skip?.Invoke(rel) != true).ToList();
        var names = rels.Select(rel => Posix.LStat(Path.Combine(dir, rel))).Where(st => st.Kind == FileKind.Regular)
            .CountBy(st => (st.Device, st.Inode)).ToDictionary();
        foreach (var rel in rels)
        {
            var path = Path.Combine(dir, rel);
            var st = Posix.LStat(path);
            var group = "";
            if (st.Kind == FileKind.Regular && names[(st.Device, st.Inode)] > 1)
            {
                if (!groups.TryGetValue((st.Device, st.Inode), out var first))
                {
                    groups[(st.Device, st.Inode)] = rel;
                    first = rel;
                }

                group = " link=" + first;
            }

            var xattrs = string.Join(",", Posix.GetXattrs(path).Select(kv => kv.Key + "=" + Convert.ToBase64String(kv.Value)));
            var content = st.Kind switch
            {
                FileKind.Regular => $"file size={st.Size} sha={Sha(path)}",
                FileKind.Symlink => $"symlink -> {new FileInfo(path).LinkTarget}",
                _ => st.Kind.ToString(),
            };
            var mode = st.Kind == FileKind.Symlink ? "" : $" mode={Convert.ToString(st.Permissions, 8)}";
            var time = withTimes && st.Kind != FileKind.Directory ? $" mtime={st.MtimeNs}" : "";
            var dirTime = withTimes && st.Kind == FileKind.Directory ? $" mtime={st.MtimeNs}" : "";
            result[rel] = $"{content}{mode} owner={st.Uid}:{st.Gid} xattrs=[{xattrs}]{group}{time}{dirTime}";
        }

        return result;
    }

    public static void AssertSame(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual)
    {
        var missing = expected.Keys.Except(actual.Keys).ToList();
        var extra = actual.Keys.Except(expected.Keys).ToList();
        var differing = expected.Keys.Intersect(actual.Keys).Where(k => expected[k] != actual[k])
            .Select(k => $"{k}:\n  want {expected[k]}\n  have {actual[k]}").ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && differing.Count == 0,
            $"trees differ\nmissing: {string.Join(", ", missing.Take(20))}\nextra: {string.Join(", ", extra.Take(20))}\n{string.Join("\n", differing.Take(20))}");
    }

    public static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static IEnumerable<string> Walk(string dir, string rel)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(Path.Combine(dir, rel)))
        {
            var childRel = rel.Length == 0 ? Path.GetFileName(child) : rel + "/" + Path.GetFileName(child);
            yield return childRel;
            if (Posix.LStat(child).Kind == FileKind.Directory)
            {
                foreach (var sub in Walk(dir, childRel))
                {
                    yield return sub;
                }
            }
        }
    }
}
