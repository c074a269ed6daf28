using System.Security.Cryptography;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Lab.Recover;

/// <summary>
/// Proves a host's restored trees (/etc, /usr/local, /var/lib/kubelet) are what the backup's manifest
/// describes: same entries, kinds, modes, link targets and content hashes, nothing extra (paths the
/// restore leaves alone by design, from etc.exclude.list, are skipped).
/// </summary>
public static class TreeCheck
{
    private static readonly (string Backup, string Host)[] Trees = [(BackupLayout.EtcDir, "etc"), (BackupLayout.LocalDir, "usr/local"), (BackupLayout.KubeletDir, "var/lib/kubelet")];

    public static IReadOnlyList<string> Compare(string hostRoot, string backupRoot, BackupManifest manifest, int max = 20)
    {
        var problems = new List<string>();
        var excluded = ReadExcludes(Path.Combine(backupRoot, BackupLayout.EtcExcludeList));
        foreach (var (backupDir, hostDir) in Trees)
        {
            var prefix = backupDir + "/";
            var expected = manifest.Entries.Where(e => e.Path.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(e => e.Path[prefix.Length..], StringComparer.Ordinal);
            var root = Path.Combine(hostRoot, hostDir);
            bool Skip(string rel) => backupDir == BackupLayout.EtcDir && excluded.Any(x => rel == x || rel.StartsWith(x + "/", StringComparison.Ordinal));

            foreach (var (rel, entry) in expected)
            {
                if (Skip(rel)) continue;
                var path = Path.Combine(root, rel);
                var info = new FileInfo(path);
                var isLink = info.LinkTarget is not null;
                switch (entry.Kind)
                {
                    case EntryKind.Symlink:
                        if (!isLink) problems.Add($"/{hostDir}/{rel}: expected a symlink");
                        else if (info.LinkTarget != entry.LinkTarget) problems.Add($"/{hostDir}/{rel}: link points to {info.LinkTarget}, backup has {entry.LinkTarget}");
                        break;
                    case EntryKind.Directory:
                        if (isLink || !Directory.Exists(path)) problems.Add($"/{hostDir}/{rel}: directory missing");
                        break;
                    default:
                        if (isLink || !info.Exists) { problems.Add($"/{hostDir}/{rel}: file missing"); break; }
                        if (info.Length != entry.Size) { problems.Add($"/{hostDir}/{rel}: size {info.Length}, backup has {entry.Size}"); break; }
                        if (entry.Sha256 is { } sha && Sha256(path) != sha) problems.Add($"/{hostDir}/{rel}: content differs from the backup");
                        break;
                }
                if (!OperatingSystem.IsWindows() && !isLink && (info.Exists || Directory.Exists(path)))
                {
                    var mode = (int)File.GetUnixFileMode(path);
                    if ((mode & FileModes.All) != (entry.Mode & FileModes.All)) problems.Add($"/{hostDir}/{rel}: mode {Convert.ToString(mode, 8)}, backup has {Convert.ToString(entry.Mode, 8)}");
                }
            }
            if (Directory.Exists(root))
            {
                foreach (var path in Walk(root))
                {
                    var rel = Path.GetRelativePath(root, path).Replace('\\', '/');
                    if (!expected.ContainsKey(rel) && !Skip(rel)) problems.Add($"/{hostDir}/{rel}: not in the backup");
                }
            }
            if (problems.Count >= max) break;
        }
        return problems.Take(max).ToList();
    }

    /// <summary>Every entry under <paramref name="root"/>, without following symlinked directories.</summary>
    private static IEnumerable<string> Walk(string root)
    {
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(pending.Pop(), "*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                yield return path;
                if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null) pending.Push(path);
            }
        }
    }

    private static List<string> ReadExcludes(string file) =>
        File.Exists(file)
            ? File.ReadAllLines(file).Select(l => l.Trim().TrimStart('/').TrimEnd('/')).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList()
            : [];

    private static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
