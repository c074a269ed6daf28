using Talm.Recovery.Platform;

namespace Talm.Recovery.Manifest;

/// <summary>
/// What every reader of a manifest relies on, checked once when it is read (<see cref="ManifestStore"/>),
/// so that neither verify nor the restore ever joins a hostile path under a root: every path is a safe
/// relative path (<see cref="ManifestPath"/>), named once, inside a directory the manifest itself lists
/// (so no entry can lie below a symlink or a file); fields have the values the format allows.
/// </summary>
internal static class ManifestValidator
{
    /// <summary>The first problem found, as one line, or null for a manifest that is safe to use.</summary>
    public static string? FirstProblem(BackupManifest manifest)
    {
        if (manifest.ToolVersion is null)
        {
            return "it has no toolVersion";
        }

        if (string.IsNullOrWhiteSpace(manifest.Host))
        {
            return "it has no host";
        }

        if (manifest.Timestamp is null)
        {
            return "it has no timestamp";
        }

        if (manifest.Etcd is null)
        {
            return "it has no etcd section";
        }

        if (manifest.Totals is null)
        {
            return "it has no totals";
        }

        if (manifest.Entries is null)
        {
            return "its entries are missing (null)";
        }

        if (ManifestPath.Problem(manifest.Etcd.SnapshotFile) is { } snapshot)
        {
            return $"etcd.snapshotFile {ManifestPath.Show(manifest.Etcd.SnapshotFile)}: {snapshot}";
        }

        if (ManifestPath.Problem(manifest.Etcd.StaticPodResourcesArchive) is { } archive)
        {
            return $"etcd.staticPodResourcesArchive {ManifestPath.Show(manifest.Etcd.StaticPodResourcesArchive)}: {archive}";
        }

        var kinds = new Dictionary<string, EntryKind>(manifest.Entries.Count, StringComparer.Ordinal);
        for (var i = 0; i < manifest.Entries.Count; i++)
        {
            var entry = manifest.Entries[i];
            if (entry is null)
            {
                return $"entries[{i}] is null";
            }

            if (ManifestPath.Problem(entry.Path) is { } problem)
            {
                return $"entries[{i}] {ManifestPath.Show(entry.Path)}: {problem}";
            }

            if (!kinds.TryAdd(entry.Path, entry.Kind))
            {
                return $"entries[{i}] {ManifestPath.Show(entry.Path)}: the path is listed twice";
            }
        }

        for (var i = 0; i < manifest.Entries.Count; i++)
        {
            if (EntryProblem(manifest.Entries[i], kinds) is { } problem)
            {
                return $"entries[{i}] {ManifestPath.Show(manifest.Entries[i].Path)}: {problem}";
            }
        }

        return null;
    }

    private static string? EntryProblem(ManifestEntry entry, Dictionary<string, EntryKind> kinds)
    {
        var parent = ManifestPath.Parent(entry.Path);
        if (parent.Length > 0)
        {
            if (!kinds.TryGetValue(parent, out var parentKind))
            {
                return "there is no entry for its directory";
            }

            if (parentKind != EntryKind.Directory)
            {
                return $"its parent is a {parentKind}, not a directory";
            }
        }

        if (!Enum.IsDefined(entry.Kind))
        {
            return $"unknown kind {(int)entry.Kind}";
        }

        if (entry.Mode is < 0 or > FileModes.PermissionBits)
        {
            return $"mode {entry.Mode} is not a permission mode (0 to 07777)";
        }

        if (entry.Uid < 0 || entry.Gid < 0)
        {
            return "negative owner";
        }

        if (entry.Size < 0)
        {
            return "negative size";
        }

        switch (entry.Kind)
        {
            case EntryKind.File when !IsSha256(entry.Sha256):
                return "a file without a SHA-256 (64 lower-case hex digits)";
            case EntryKind.Symlink when string.IsNullOrEmpty(entry.LinkTarget) || entry.LinkTarget.Contains('\0', StringComparison.Ordinal):
                return "a symlink without a usable link target";
        }

        if (entry.HardLinkTo is { } peer)
        {
            if (ManifestPath.Problem(peer) is { } problem)
            {
                return $"hardLinkTo {ManifestPath.Show(peer)}: {problem}";
            }

            if (entry.Kind != EntryKind.File || kinds.GetValueOrDefault(peer, EntryKind.Directory) != EntryKind.File || peer == entry.Path)
            {
                return $"hard link to {ManifestPath.Show(peer)}, which is not another file of the manifest";
            }
        }

        if (entry.Xattrs is { } xattrs)
        {
            foreach (var (name, value) in xattrs)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('\0', StringComparison.Ordinal))
                {
                    return "an extended attribute without a usable name";
                }

                if (value is null || !IsBase64(value))
                {
                    return $"extended attribute {ManifestPath.Show(name)} is not base64";
                }
            }
        }

        return null;
    }

    private static bool IsSha256(string? value)
    {
        if (value is not { Length: 64 })
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is not (>= '0' and <= '9') and not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsBase64(string value)
    {
        var buffer = value.Length <= 1024 ? stackalloc byte[value.Length] : new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _);
    }
}
