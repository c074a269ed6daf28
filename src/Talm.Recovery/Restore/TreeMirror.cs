using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// Makes a host tree an exact mirror of a backup tree: contents, owner, mode, mtime, symlinks, hard
/// links and xattrs, deleting what the backup does not hold (except excluded paths). Only what differs
/// is rewritten. A file's content is taken as unchanged without reading it when its size and mtime match
/// the manifest and its ctime predates the backup (no write, chmod or touch since then can leave ctime
/// untouched); otherwise, when the size matches, it is hashed and compared with the manifest's SHA-256.
/// Replaced files are written beside the target and renamed over it, so a crash never leaves a half file.
/// Every operation goes through <see cref="ConfinedDirectory"/>: nothing outside the target directory is
/// ever reached, whatever the manifest says or a symlink on the host points to.
/// <see cref="Plan"/> takes every one of these decisions the same way and only records them (the restore's
/// <c>--dry-run</c>); <see cref="Mirror(MirrorRequest, ConfinedDirectory, IProgress{MirrorProgress}?, CancellationToken)"/>
/// records the same list of what it changed, so the two cannot disagree.
/// The phases of one run are in TreeMirror.Run.cs, what is done to one entry in TreeMirror.Entries.cs.
/// </summary>
public sealed partial class TreeMirror(int parallelism)
{
    private const string TempMarker = ".talm-restore-";

    /// <summary>Mirrors into <see cref="MirrorRequest.TargetDir"/>, created if missing, as the root of confinement.</summary>
    public MirrorResult Mirror(MirrorRequest request, IProgress<MirrorProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var target = ConfinedDirectory.Open(request.TargetDir, create: true);
        return Mirror(request, target, progress, cancellationToken);
    }

    /// <summary>Mirrors into an already opened directory (the restore resolves it beneath the host root); nothing outside it is touched.</summary>
    public MirrorResult Mirror(MirrorRequest request, ConfinedDirectory target, IProgress<MirrorProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Run(request, target, progress, apply: true, cancellationToken);
    }

    /// <summary>
    /// What <see cref="Mirror(MirrorRequest, ConfinedDirectory, IProgress{MirrorProgress}?, CancellationToken)"/> would change, changing nothing
    /// (files whose size matches but whose ctime is newer than the backup are read and hashed, as the restore does).
    /// A null <paramref name="target"/> is a tree that does not exist yet: everything would be created.
    /// </summary>
    public MirrorResult Plan(MirrorRequest request, ConfinedDirectory? target, CancellationToken cancellationToken) =>
        Run(request, target, null, apply: false, cancellationToken);

    private MirrorResult Run(MirrorRequest request, ConfinedDirectory? target, IProgress<MirrorProgress>? progress, bool apply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new MirrorRun(request, target, progress, apply, parallelism, cancellationToken).Run();
    }
}
