using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// Copies a tree that tar unpacked aside (into the backup directory) onto the host through
/// <see cref="ConfinedDirectory"/>. tar itself never writes on the host: it would follow whatever
/// symlinks it finds there, out of the host root included.
/// </summary>
internal static class UnpackedTree
{
    /// <param name="unpacked">The directory tar unpacked into.</param>
    /// <param name="destination">Where the tree goes (the host root, or its <c>/etc/kubernetes</c>).</param>
    /// <param name="parents">How symlinks on the way to each name are treated on the host.</param>
    /// <param name="onlyWhatDiffers">Leave a file whose content already matches alone (its timestamps stay as they are).</param>
    /// <param name="withXattrs">Copy extended attributes too (tar was asked for them).</param>
    /// <returns>How many files and symlinks were written.</returns>
    public static int CopyInto(string unpacked, ConfinedDirectory destination, SymlinkPolicy parents, bool onlyWhatDiffers, bool withXattrs)
    {
        var written = 0;
        foreach (var (rel, status) in Walk(unpacked))
        {
            using var dir = destination.OpenDirectory(ManifestPath.Parent(rel), parents, create: true);
            var name = Path.GetFileName(rel);
            var source = Path.Combine(unpacked, rel);
            var existing = dir.TryStat(name);
            switch (status.Kind)
            {
                case FileKind.Directory:
                    if (existing is null)
                    {
                        dir.CreateDirectory(name);
                        dir.SetOwner(name, status.Uid, status.Gid);
                        dir.SetMode(name, status.Permissions);
                    }

                    break;
                case FileKind.Regular:
                    if (onlyWhatDiffers && SameContent(source, dir, name, existing, status.Size))
                    {
                        break;
                    }

                    if (existing is { Kind: FileKind.Directory })
                    {
                        throw new IOException($"{dir.Child(name)} is a directory; the backup holds a file there");
                    }

                    const string temp = ".talm-new";
                    dir.Delete(temp);
                    using (var input = File.OpenHandle(source))
                    using (var output = dir.CreateFile(temp))
                    {
                        Posix.CopyContent(input, output, dir.Child(name));
                    }

                    Apply(dir, temp, source, status, withXattrs);
                    dir.Rename(temp, name);
                    written++;
                    break;
                case FileKind.Symlink:
                    var target = new FileInfo(source).LinkTarget!;
                    if (existing is { Kind: FileKind.Symlink } && dir.ReadLink(name) == target)
                    {
                        break;
                    }

                    dir.Delete(name, existing);
                    dir.CreateSymlink(target, name);
                    MetadataApplier.Apply(new ConfinedTarget(dir, name), MetadataOf(status, null), isSymlink: true);
                    written++;
                    break;
            }
        }

        return written;
    }

    private static void Apply(ConfinedDirectory dir, string name, string source, FileStatus status, bool withXattrs) =>
        MetadataApplier.Apply(new ConfinedTarget(dir, name), MetadataOf(status, withXattrs ? Posix.GetXattrs(source) : null), isSymlink: false);

    private static FileMetadata MetadataOf(FileStatus status, IReadOnlyDictionary<string, byte[]>? xattrs) =>
        new(status.Uid, status.Gid, status.Permissions, xattrs, status.AtimeNs, status.MtimeNs);

    /// <summary>Directories, files and symlinks below <paramref name="root"/>, parents first, never following a symlink.</summary>
    private static IEnumerable<(string Rel, FileStatus Status)> Walk(string root)
    {
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            var relDir = pending.Pop();
            var children = Directory.EnumerateFileSystemEntries(relDir.Length == 0 ? root : Path.Combine(root, relDir)).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal);
            foreach (var child in children)
            {
                var rel = relDir.Length == 0 ? child : relDir + "/" + child;
                var status = Posix.LStat(Path.Combine(root, rel));
                if (status.Kind == FileKind.Special)
                {
                    continue;
                }

                yield return (rel, status);
                if (status.Kind == FileKind.Directory)
                {
                    pending.Push(rel);
                }
            }
        }
    }

    private static bool SameContent(string source, ConfinedDirectory dir, string name, FileStatus? existing, long size)
    {
        if (existing is not { Kind: FileKind.Regular } || existing.Size != size)
        {
            return false;
        }

        using var sourceHandle = File.OpenHandle(source);
        using var targetHandle = dir.OpenFile(name);
        return TreeMirror.Sha256Of(sourceHandle) == TreeMirror.Sha256Of(targetHandle);
    }
}
