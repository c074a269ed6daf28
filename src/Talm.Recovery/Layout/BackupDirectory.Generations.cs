using System.Globalization;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Layout;

/// <summary>
/// How complete backups sit in a backup directory so one rename commits a new one:
/// <code>
/// generations/&lt;id&gt;/            a complete backup (manifest.json, cluster/, etc/, ...): the current one, and
///                                older ones kept by --keep N (restore points)
/// current -&gt; generations/&lt;id&gt;   swapped by rename(2) of a fresh symlink: the commit point
/// etc -&gt; current/etc, ...        fixed TALM names, created once, resolve through current
/// generations/.building-&lt;id&gt;/  a backup being built (and .building-&lt;id&gt;-etcd/ its etcd snapshot); never trusted,
///                                removed on the next run
/// generations/.recycle/          the superseded backup's directories and names of inodes the current one
///                                shares (no data of its own): the next backup starts from it
/// generations/.retired-&lt;id&gt;/   a generation on its way out (being recycled or removed); removed on the next run
/// </code>
/// Generation names sort in the order the backups were committed (<see cref="NewGenerationId"/> makes each new one sort
/// after the current one), so a complete generation named below <c>current</c> was committed before it and is kept, and
/// one named above it was built but never committed.
/// </summary>
public sealed partial class BackupDirectory
{
    private const string GenerationsName = "generations";
    private const string CurrentName = "current";
    private const string BuildingPrefix = ".building-";
    private const string RecycleName = ".recycle";
    private const string RetiredPrefix = ".retired-";
    private const string StampFormat = "yyyyMMdd-HHmmss";

    public string GenerationsPath => Combine(GenerationsName);

    public string CurrentLink => Combine(CurrentName);

    /// <summary>The superseded backup's tree, which the next backup starts from.</summary>
    public string RecyclePath => System.IO.Path.Combine(GenerationsPath, RecycleName);

    /// <summary>The committed (or, above <c>current</c>, built) generation <paramref name="id"/>.</summary>
    public string GenerationPath(string id) => System.IO.Path.Combine(GenerationsPath, id);

    /// <summary>Where the backup that becomes generation <paramref name="id"/> is built.</summary>
    public string BuildingPath(string id) => System.IO.Path.Combine(GenerationsPath, BuildingPrefix + id);

    /// <summary>Where generation <paramref name="id"/> goes on its way out (<see cref="Retire"/>).</summary>
    public string RetiredPath(string id) => System.IO.Path.Combine(GenerationsPath, RetiredPrefix + id);

    /// <summary>Where the etcd snapshot of the backup that becomes generation <paramref name="id"/> streams to, beside its build.</summary>
    public string SnapshotStagingPath(string id) => BuildingPath(id) + "-etcd";

    /// <summary>
    /// The directory holding the committed backup's files: the target of <c>current</c>, or the backup directory itself
    /// when it holds a manifest directly (a generation directory given by hand); null when there is none.
    /// </summary>
    public string? CurrentRoot()
    {
        if (Posix.TryLStat(CurrentLink) is { Kind: FileKind.Symlink })
        {
            var resolved = System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, new FileInfo(CurrentLink).LinkTarget!));
            return Directory.Exists(resolved) ? resolved : null;
        }

        return File.Exists(ManifestOf(Path)) && !Directory.Exists(GenerationsPath) ? Path : null;
    }

    /// <summary>Name of the committed generation (e.g. <c>20261125-151500-ab12</c>), or null.</summary>
    public string? CurrentId() =>
        Posix.TryLStat(CurrentLink) is { Kind: FileKind.Symlink } ? System.IO.Path.GetFileName(new FileInfo(CurrentLink).LinkTarget!.TrimEnd('/')) : null;

    /// <summary>The restore points, newest first: the current generation, then the older complete ones. Empty when there is no <c>current</c>.</summary>
    public IReadOnlyList<RestorePoint> RestorePoints()
    {
        var current = CurrentId();
        if (current is null || !Directory.Exists(GenerationPath(current)))
        {
            return [];
        }

        var older = Directory.EnumerateDirectories(GenerationsPath)
            .Select(System.IO.Path.GetFileName)
            .Where(name => name is not null && name[0] != '.' && string.CompareOrdinal(name, current) < 0 && File.Exists(ManifestOf(GenerationPath(name))))
            .Order(StringComparer.Ordinal)
            .Reverse()
            .Select(name => new RestorePoint(name!, GenerationPath(name!), false));
        return [new RestorePoint(current, GenerationPath(current), true), .. older];
    }

    /// <summary>The restore point named <paramref name="id"/>, or null.</summary>
    public RestorePoint? FindRestorePoint(string id) => RestorePoints().FirstOrDefault(p => p.Id == id);

    /// <summary>The message for an unknown restore point: which ones there are, and how to see them.</summary>
    public string UnknownRestorePoint(string id)
    {
        var points = RestorePoints();
        var known = points.Count == 0
            ? "there are none (no committed backup)"
            : "there are: " + string.Join(", ", points.Select(p => p.IsCurrent ? p.Id + " (current)" : p.Id));
        return $"no restore point {id} in {Path}; {known}. 'talm recovery status --dir {Path}' lists them";
    }

    /// <summary>
    /// What lies under generations/ but is neither one of <paramref name="kept"/> nor the recycled tree: what a crash left
    /// (half-built, built but never committed, half-retired) and generations about to go.
    /// </summary>
    public IEnumerable<string> GenerationsOtherThan(IReadOnlySet<string> kept) =>
        Directory.EnumerateDirectories(GenerationsPath).Where(d => System.IO.Path.GetFileName(d) is var name && name != RecycleName && !kept.Contains(name));

    /// <summary>
    /// Takes generation <paramref name="id"/> out of the restore points by renaming it to <c>.retired-&lt;id&gt;</c> (durably),
    /// before anything of it is unlinked: a crash half way leaves a leftover, not a damaged restore point. Returns its new path.
    /// </summary>
    public string Retire(string id)
    {
        var retired = RetiredPath(id);
        Posix.Rename(GenerationPath(id), retired);
        Posix.Fsync(GenerationsPath);
        return retired;
    }

    /// <summary>
    /// Makes the built <paramref name="building"/> generation <paramref name="id"/> (complete and synced) the current
    /// backup: renames it into place, swaps <c>current</c> to it with one rename, then makes both durable.
    /// </summary>
    public void Commit(string building, string id)
    {
        Posix.Rename(building, GenerationPath(id));
        Posix.Fsync(GenerationsPath);
        Commit(id);
    }

    /// <summary>Makes generation <paramref name="id"/> (complete and synced, under generations/) the current backup with one rename.</summary>
    public void Commit(string id)
    {
        var temp = CurrentLink + ".new";
        if (Posix.TryLStat(temp) is not null)
        {
            File.Delete(temp);
        }

        Posix.Symlink(GenerationsName + "/" + id, temp);
        Posix.Rename(temp, CurrentLink);
        Posix.Fsync(Path);
        EnsureFixedNames();
    }

    /// <summary>Removes <c>current</c> (durably): from now on there is no committed backup here.</summary>
    public void Uncommit()
    {
        File.Delete(CurrentLink);
        Posix.Fsync(Path);
    }

    /// <summary>Creates the fixed top-level symlinks that are missing (idempotent; they never change once made).</summary>
    public void EnsureFixedNames()
    {
        var changed = false;
        foreach (var name in BackupLayout.FixedNames)
        {
            var path = Combine(name);
            var status = Posix.TryLStat(path);
            if (status is { Kind: FileKind.Symlink })
            {
                continue;
            }

            if (status is not null)
            {
                // A reference (non-talm) backup left a real file or directory here: move it aside
                // now that a complete talm backup is committed; it is removed with the other leftovers.
                Posix.Rename(path, BuildingPath("legacy-" + name));
            }

            Posix.Symlink(CurrentName + "/" + name, path);
            changed = true;
        }

        if (changed)
        {
            Posix.Fsync(Path);
        }
    }

    /// <summary>
    /// The name of a new generation: its start time to the second and a random suffix, made to sort after
    /// <paramref name="newest"/> even when the clock stepped back or two backups start within one second.
    /// </summary>
    public static string NewGenerationId(DateTimeOffset startedAt, string? newest, string suffix)
    {
        var at = startedAt.UtcDateTime;
        at = new DateTime(at.Ticks - (at.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        if (newest is { Length: >= 15 }
            && DateTime.TryParseExact(newest[..15], StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var last)
            && at <= last)
        {
            at = last.AddSeconds(1);
        }

        return at.ToString(StampFormat, CultureInfo.InvariantCulture) + "-" + suffix;
    }
}
