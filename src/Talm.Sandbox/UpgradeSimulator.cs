using System.Text;
using Talm.Recovery.Platform;

namespace Talm.Sandbox;

/// <summary>What <see cref="UpgradeSimulator"/> did to a host's trees.</summary>
public sealed record UpgradeChanges(int FilesSeen, int Rewritten, int SameSizeRewrites, int Deleted, int ModeChanged, int OwnerChanged, int Added, int XattrsChanged, int HardLinksBroken)
{
    public int Total => Rewritten + SameSizeRewrites + Deleted + ModeChanged + OwnerChanged + Added + XattrsChanged + HardLinksBroken;
}

/// <summary>
/// What a failed upgrade does to <c>/etc</c>, <c>/usr/local</c> and <c>/var/lib/kubelet</c>: a given
/// fraction of the files rewritten (some keeping size and mtime, which only a hash or ctime reveals),
/// deleted, re-permissioned or re-owned, plus new files and directories, a changed xattr and a broken
/// hard link. Deterministic for a seed, so a benchmark and its baseline see the same change.
/// </summary>
public static class UpgradeSimulator
{
    public static readonly IReadOnlyList<string> Trees = ["etc", "usr/local", "var/lib/kubelet"];

    public static UpgradeChanges Apply(string hostRoot, double fraction, int seed)
    {
        var random = new Random(seed);
        var files = new List<string>();
        var dirs = new List<string>();
        foreach (var tree in Trees)
        {
            Walk(Path.Combine(hostRoot, tree), files, dirs);
        }

        files.Sort(StringComparer.Ordinal);
        dirs.Sort(StringComparer.Ordinal);
        var chosen = files.OrderBy(_ => random.Next()).Take(Math.Max(1, (int)(files.Count * fraction))).ToList();
        int rewritten = 0, sameSize = 0, deleted = 0, mode = 0, owner = 0, xattrs = 0, broken = 0;
        foreach (var file in chosen)
        {
            var status = Posix.LStat(file);
            switch (random.Next(100))
            {
                case < 55:
                    File.AppendAllText(file, $"\n# changed by the upgrade {random.Next()}\n");
                    rewritten++;
                    break;
                case < 70 when status.Size > 0:
                    // Same size and mtime put back: metadata alone cannot see this one.
                    var bytes = File.ReadAllBytes(file);
                    bytes[random.Next(bytes.Length)] ^= 0x5A;
                    File.WriteAllBytes(file, bytes);
                    Posix.SetTimes(file, status.AtimeNs, status.MtimeNs);
                    sameSize++;
                    break;
                case < 85:
                    File.Delete(file);
                    deleted++;
                    break;
                case < 95:
                    Posix.Chmod(file, (status.Permissions ^ FileModes.All) | FileModes.OwnerReadWrite);
                    mode++;
                    break;
                default:
                    Posix.LChown(file, status.Uid + 1000, status.Gid + 1000);
                    owner++;
                    break;
            }
        }

        var added = 0;
        var newCount = Math.Max(1, chosen.Count / 5);
        for (var i = 0; i < newCount; i++)
        {
            var dir = dirs[random.Next(dirs.Count)];
            File.WriteAllText(Path.Combine(dir, $"upgrade-added-{i}.conf"), new string('u', random.Next(10, 4000)));
            added++;
        }

        foreach (var tree in Trees)
        {
            var fresh = Path.Combine(hostRoot, tree, "upgrade-new-dir", "nested");
            Directory.CreateDirectory(fresh);
            File.WriteAllText(Path.Combine(fresh, "new.yaml"), "added: true\n");
            added++;
        }

        var remaining = files.Where(File.Exists).ToList();
        var withXattr = remaining.FirstOrDefault(f => Posix.ListXattrs(f).Any(n => n.StartsWith("user.", StringComparison.Ordinal)));
        if (withXattr is not null)
        {
            var name = Posix.ListXattrs(withXattr).First(n => n.StartsWith("user.", StringComparison.Ordinal));
            Posix.SetXattr(withXattr, name, Encoding.UTF8.GetBytes("changed-by-upgrade"));
            xattrs++;
        }

        var linked = remaining.FirstOrDefault(f => Posix.LStat(f).LinkCount > 1);
        if (linked is not null)
        {
            var content = File.ReadAllBytes(linked);
            File.Delete(linked);
            File.WriteAllBytes(linked, content);
            broken++;
        }

        return new UpgradeChanges(files.Count, rewritten, sameSize, deleted, mode, owner, added, xattrs, broken);
    }

    private static void Walk(string dir, List<string> files, List<string> dirs)
    {
        if (!Directory.Exists(dir))
        {
            return;
        }

        dirs.Add(dir);
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
        {
            var status = Posix.LStat(entry);
            if (status.Kind == FileKind.Directory)
            {
                Walk(entry, files, dirs);
            }
            else if (status.Kind == FileKind.Regular)
            {
                files.Add(entry);
            }
        }
    }
}
