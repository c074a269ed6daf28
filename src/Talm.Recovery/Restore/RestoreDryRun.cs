using System.Formats.Tar;
using System.IO.Compression;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Host;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Rollback;

namespace Talm.Recovery.Restore;

/// <summary>
/// <c>talm recovery restore --dry-run</c>: what the restore would do to this node, changing nothing on it, in the
/// backup or in the progress file. Each tree is compared by <see cref="TreeMirror.Plan"/>, the restore's own
/// comparison; the rollback is <see cref="RollbackPlanner"/>'s, as <c>talm recovery status</c> shows it.
/// </summary>
public static class RestoreDryRun
{
    public static async Task<RestorePreview> RunAsync(RestoreDryRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The backup the restore would use: the one a restore under way began from, else --generation, else the current one.
        var source = RestoreSource.Choose(options.BackupDir, options.Generation, Started(options.BackupDir), RestoreRunner.DefaultProgramName(options.BackupDir));
        var root = source.Root;
        BackupManifest manifest;
        try
        {
            manifest = ManifestStore.Read(root);
        }
        catch (InvalidDataException e)
        {
            throw new RestoreFailedException(e.Message + "; the restore would refuse it", e);
        }

        ConfinedDirectory host;
        try
        {
            host = ConfinedDirectory.Open(options.HostRoot);
        }
        catch (NativeException e)
        {
            throw new RestoreFailedException($"The host root {options.HostRoot} cannot be used ({e.Message}); check --host-root", e, RestoreFailure.BadInput);
        }

        using (host)
        {
            var refusals = new List<string>();
            var notes = new List<string>();
            var (rollback, active) = Rollback(options.Host, refusals);
            Origin(manifest, host, options.Host, active, refusals, notes);
            Progress(options.BackupDir, notes);

            var trees = new List<TreePreview>();
            foreach (var tree in RestoredTree.All)
            {
                cancellationToken.ThrowIfCancellationRequested();
                trees.Add(PlanTree(host, tree, root, manifest, options.Parallelism, cancellationToken));
            }

            var etcd = await LiveRevisionAsync(options, manifest, cancellationToken).ConfigureAwait(false);
            return new RestorePreview
            {
                BackupRoot = root,
                Generation = source.IsCurrent ? null : source.Generation,
                Host = manifest.Host,
                TakenAt = manifest.CompletedAt,
                Trees = trees,
                Extras = Extras(root),
                Etcd = etcd,
                Rollback = rollback,
                Refusals = refusals,
                Notes = notes,
            };
        }
    }

    private static TreePreview PlanTree(ConfinedDirectory host, RestoredTree tree, string root, BackupManifest manifest, int parallelism, CancellationToken cancellationToken)
    {
        ConfinedDirectory? target = null;
        try
        {
            target = RestoreRunner.HostDirectory(host, tree.HostPath);
        }
        catch (NativeException e) when (e.Errno is NativeException.ENOENT)
        {
            // Not on the host: the restore creates it, and everything in it.
        }

        using (target)
        {
            var resolved = target is null ? tree.HostPath : "/" + target.Relative;
            var plan = new TreeMirror(parallelism).Plan(tree.Request(root, manifest, target?.Path ?? Path.Join(host.Path, tree.HostPath)), target, cancellationToken);
            return new TreePreview(tree, resolved, plan);
        }
    }

    private static (RollbackPreview Preview, OstreeDeployment? Active) Rollback(HostPaths hostPaths, List<string> refusals)
    {
        try
        {
            var deployments = new NodeOstree(hostPaths).Deployments();
            var plan = RollbackPlanner.Plan(deployments);
            var active = NodeOstree.Active(deployments);
            if (active is not { Pinned: true })
            {
                refusals.Add("Active ostree deployment is not pinned and should be rolled back: run 'talm recovery rollback', reboot, then restore (or --force)");
            }

            return (new RollbackPreview(plan.Action, plan.Describe(), null), active);
        }
        catch (OstreeException e)
        {
            refusals.Add($"{e.Message}; cannot tell whether the active deployment is the pinned one (--force goes on anyway)");
            return (new RollbackPreview(null, null, e.Message), null);
        }
    }

    private static void Origin(BackupManifest manifest, ConfinedDirectory host, HostPaths hostPaths, OstreeDeployment? active, List<string> refusals, List<string> notes)
    {
        var origin = BackupOrigin.Compare(manifest, NodeIdentity.Read(host, hostPaths.IsRunningSystem), active);
        refusals.AddRange(origin.Mismatches.Select(m => $"this backup is not of this node, or not of the OS it runs: {m} (--force restores it anyway)"));
        if (origin.Mismatches.Count == 0 && !origin.Confirmed)
        {
            notes.Add($"cannot confirm that this backup is of this node: neither side records its {string.Join(", ", origin.Unconfirmed)}");
        }
    }

    private static bool Started(string backupDir)
    {
        try
        {
            return new BackupDirectory(backupDir).Progress.Read().Count > 0;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static void Progress(string backupDir, List<string> notes)
    {
        try
        {
            var stages = new BackupDirectory(backupDir).Progress.Read();
            if (stages.Count > 0)
            {
                notes.Add($"a restore is under way (completed: {string.Join(", ", stages)}): the restore continues with --resume, and stages already completed do not run again");
            }
        }
        catch (InvalidDataException e)
        {
            notes.Add(e.Message);
        }
    }

    private static ExtrasPreview? Extras(string root)
    {
        var archive = Path.Combine(root, BackupLayout.ExtrasArchive);
        if (!File.Exists(archive))
        {
            return null;
        }

        var names = new List<string>();
        using var file = File.OpenRead(archive);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not TarEntryType.Directory)
            {
                names.Add("/" + entry.Name.TrimStart('.', '/'));
            }
        }

        return new ExtrasPreview(archive, names);
    }

    private static async Task<EtcdRevisionPreview> LiveRevisionAsync(RestoreDryRunOptions options, BackupManifest manifest, CancellationToken cancellationToken)
    {
        EtcdConnection connection;
        string source;
        try
        {
            if (options.Etcd is { } given)
            {
                (connection, source) = (given, "--etcd-endpoint");
            }
            else
            {
                var paths = options.Host;
                var found = EtcdEndpointDiscovery.Discover(paths, NetworkNamespaces.SharesNetworkWithNode(paths.Proc));
                (connection, source) = (found.Connection, found.Source);
            }

            using var client = new EtcdClient(connection with { CallTimeout = options.EtcdTimeout });
            var status = await client.StatusAsync(cancellationToken).ConfigureAwait(false);
            return new EtcdRevisionPreview(manifest.Etcd.Revision, status.Revision, $"{connection.Endpoint} ({source})", null);
        }
        catch (Exception e) when (e is EtcdException or IOException or InvalidDataException or System.Security.Cryptography.CryptographicException)
        {
            return new EtcdRevisionPreview(manifest.Etcd.Revision, null, null, e.Message);
        }
    }
}

public sealed record RestoreDryRunOptions
{
    public required string HostRoot { get; init; }

    /// <summary>Where things are under <see cref="HostRoot"/>.</summary>
    public HostPaths Host => new(HostRoot);

    public required string BackupDir { get; init; }

    /// <summary>The restore point to preview (<c>--generation ID</c>); null: the one the restore would use without it.</summary>
    public string? Generation { get; init; }

    /// <summary>The live etcd to read the revision from; null finds it as the backup does.</summary>
    public EtcdConnection? Etcd { get; init; }

    public TimeSpan EtcdTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public int Parallelism { get; init; } = Math.Max(2, Environment.ProcessorCount);
}

public sealed record RestorePreview
{
    public required string BackupRoot { get; init; }

    /// <summary>The restore point when it is not the current backup (an older one kept by --keep); null for the current one.</summary>
    public string? Generation { get; init; }

    public required string Host { get; init; }

    public required DateTimeOffset TakenAt { get; init; }

    /// <summary>In the order the restore mirrors them.</summary>
    public required IReadOnlyList<TreePreview> Trees { get; init; }

    /// <summary>Null when the backup has no extras.tgz.</summary>
    public ExtrasPreview? Extras { get; init; }

    public required EtcdRevisionPreview Etcd { get; init; }

    public required RollbackPreview Rollback { get; init; }

    /// <summary>Why the restore would stop before changing anything (without --force).</summary>
    public required IReadOnlyList<string> Refusals { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }
}

/// <param name="ResolvedPath">Where the tree is on the host (e.g. /var/usrlocal for /usr/local on RHCOS).</param>
public sealed record TreePreview(RestoredTree Tree, string ResolvedPath, MirrorResult Plan)
{
    public IEnumerable<MirrorChange> Of(MirrorChangeKind kind) => Plan.Changes.Where(c => c.Change == kind);
}

/// <param name="Files">Host paths of the files and symlinks it holds.</param>
public sealed record ExtrasPreview(string Archive, IReadOnlyList<string> Files);

/// <param name="Live">The revision the node's etcd serves now; null when it cannot be reached (<paramref name="Problem"/> says why).</param>
public sealed record EtcdRevisionPreview(long Snapshot, long? Live, string? Endpoint, string? Problem);

/// <param name="Action">Null when the ostree state cannot be read (<paramref name="Problem"/> says why).</param>
public sealed record RollbackPreview(RollbackAction? Action, string? Description, string? Problem);
