using Talm.Recovery.Platform;

namespace Talm.Recovery.Manifest;

/// <summary>
/// How complete backups sit in a backup directory so one rename commits a new one:
/// <code>
/// &lt;dir&gt;/generations/&lt;id&gt;/   a complete backup (manifest.json, cluster/, etc/, ...): the current one, and
///                                      older ones kept by --keep N (restore points, see <see cref="RestorePoints"/>)
/// &lt;dir&gt;/current -&gt; generations/&lt;id&gt;   swapped by rename(2) of a fresh symlink: the commit point
/// &lt;dir&gt;/etc -&gt; current/etc, ...           fixed TALM names, created once, resolve through current
/// &lt;dir&gt;/progress                         restore's progress file, a plain file
/// &lt;dir&gt;/keep                             how many restore points backups keep here, once --keep was given
/// &lt;dir&gt;/generations/.building-&lt;id&gt;/  a backup being built; never trusted, removed on the next run
/// &lt;dir&gt;/generations/.recycle/          the superseded backup's directories and names of inodes the current one
///                                      shares (no data of its own): the next backup starts from it
/// &lt;dir&gt;/generations/.retired-&lt;id&gt;/   a generation on its way out (being recycled or removed); removed on the next run
/// </code>
/// </summary>
public static class BackupGenerations
{
    public const string GenerationsDir = "generations";
    public const string CurrentLink = "current";
    public const string BuildingPrefix = ".building-";
    public const string RecycleDir = ".recycle";
    public const string RetiredPrefix = ".retired-";
    public const string KeepFile = "keep";
    public const string BinDir = "bin";

    /// <summary>Top-level names that resolve through <c>current</c>.</summary>
    public static readonly IReadOnlyList<string> FixedNames =
    [
        BackupLayout.RecoveryScript, BackupLayout.ClusterDir, BackupLayout.EtcDir, BackupLayout.LocalDir,
        BackupLayout.KubeletDir, BackupLayout.EtcExcludeList, BackupLayout.ExtrasArchive, BackupLayout.ImagesDir,
        BackupLayout.Manifest, BinDir,
    ];

    /// <summary>
    /// The directory holding the committed backup's files: the target of <c>current</c>, or
    /// <paramref name="dir"/> itself when it holds a manifest directly (a generation directory given by hand); null when there is none.
    /// </summary>
    public static string? CurrentRoot(string dir)
    {
        var link = Path.Combine(dir, CurrentLink);
        var status = Posix.TryLStat(link);
        if (status is { Kind: FileKind.Symlink })
        {
            var target = new FileInfo(link).LinkTarget!;
            var resolved = Path.GetFullPath(Path.Combine(dir, target));
            return Directory.Exists(resolved) ? resolved : null;
        }

        return File.Exists(Path.Combine(dir, BackupLayout.Manifest)) && !Directory.Exists(Path.Combine(dir, GenerationsDir)) ? dir : null;
    }

    /// <summary>Name of the committed generation (e.g. <c>20261125-151500-ab12</c>), or null.</summary>
    public static string? CurrentGeneration(string dir)
    {
        var link = Path.Combine(dir, CurrentLink);
        return Posix.TryLStat(link) is { Kind: FileKind.Symlink } ? Path.GetFileName(new FileInfo(link).LinkTarget!.TrimEnd('/')) : null;
    }

    /// <summary>
    /// Makes <paramref name="generation"/> (a complete, fsynced directory under generations/) the current
    /// backup with one rename, then makes the swap durable.
    /// </summary>
    public static void Commit(string dir, string generation)
    {
        var link = Path.Combine(dir, CurrentLink);
        var temp = Path.Combine(dir, CurrentLink + ".new");
        if (Posix.TryLStat(temp) is not null)
        {
            File.Delete(temp);
        }

        Posix.Symlink(GenerationsDir + "/" + generation, temp);
        Posix.Rename(temp, link);
        Posix.Fsync(dir);
        EnsureFixedNames(dir);
    }

    /// <summary>Creates the fixed top-level symlinks that are missing (idempotent; they never change once made).</summary>
    public static void EnsureFixedNames(string dir)
    {
        var changed = false;
        foreach (var name in FixedNames)
        {
            var path = Path.Combine(dir, name);
            var status = Posix.TryLStat(path);
            if (status is { Kind: FileKind.Symlink })
            {
                continue;
            }

            if (status is not null)
            {
                // A reference (non-talm) backup left a real file or directory here: move it aside
                // now that a complete talm backup is committed; it is removed with the other leftovers.
                Posix.Rename(path, Path.Combine(dir, GenerationsDir, BuildingPrefix + "legacy-" + name));
            }

            Posix.Symlink(CurrentLink + "/" + name, path);
            changed = true;
        }

        if (changed)
        {
            Posix.Fsync(dir);
        }
    }
}
