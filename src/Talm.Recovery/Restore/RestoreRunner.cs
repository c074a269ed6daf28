using System.Globalization;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Rollback;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Restore;

/// <summary>
/// The staged, resumable restore of docs/recovery.md: pre-checks, then <c>restore_files</c> (reboot),
/// <c>restore_cluster</c> and the final redeployment, each recorded in the progress file only once
/// complete, so a failed stage is simply run again by <c>--resume</c>.
/// </summary>
public sealed class RestoreRunner(RestoreOptions options, NodeToolRunner tools, RecoveryLog log, TimeProvider time)
{
    private readonly BackupDirectory _dir = new(options.BackupDir);
    private readonly ProgressFile _progress = new BackupDirectory(options.BackupDir).Progress;

    /// <summary>The four static pods whose manifests come back from the backup's resources archive.</summary>
    public static readonly IReadOnlyList<string> StaticPods = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

    public string ProgramName => options.InvokedAs ?? DefaultProgramName(options.BackupDir);

    /// <summary>
    /// A host directory, resolved as the node resolves it (RHCOS's <c>/usr/local -&gt; ../var/usrlocal</c>) but never
    /// outside the host root, and opened: every operation below it goes through the handle.
    /// </summary>
    internal static ConfinedDirectory HostDirectory(ConfinedDirectory host, string hostPath, bool create = false) =>
        host.OpenDirectory(hostPath.TrimStart('/'), SymlinkPolicy.InRoot, create);


    public static string DefaultProgramName(string backupDir)
    {
        var script = new BackupDirectory(backupDir).RecoveryScript;
        return File.Exists(script) ? script : $"talm recovery restore --dir {backupDir}";
    }

    public async Task<RestoreOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var stages = PreChecks();
        using var backupLock = _dir.TryLock()
            ?? throw new RestoreFailedException($"A backup or another restore is running in {options.BackupDir} (it holds {BackupDirectory.LockName}); wait for it to finish, then run again. Nothing on the node was changed.");
        using var host = OpenHostRoot();
        EtcdRestoreTool etcdTool;
        string root;
        BackupManifest manifest;
        try
        {
            var source = RestoreSource.Choose(options.BackupDir, options.Generation, stages.Count > 0, ProgramName);
            root = source.Root;
            manifest = ReadManifest(root);

            if (stages.Count == 0)
            {
                var active = ActiveDeployment();
                CheckPinned(active);
                CheckOrigin(manifest, host, active);
            }
            else
            {
                CheckSameHostRoot();
            }

            etcdTool = EtcdRestoreTool.Find(options.EtcdRestore, options.HostRoot, tools.SearchPath);
            await VerifyBackupAsync(source, stages.Count == 0, manifest.Totals.Bytes, cancellationToken).ConfigureAwait(false);

            if (stages.Count == 0)
            {
                _progress.RecordHostRoot(options.HostRoot);
                source.Record(options.BackupDir);
                _progress.Append(RestoreStage.Started);
                stages = [RestoreStage.Started];
                log.Info($"Restore started from {source.Describe()}: the backup of {manifest.Host} taken {manifest.CompletedAt:yyyy-MM-dd HH:mm:ss} UTC");
            }
            else if (!source.IsCurrent)
            {
                log.Info($"Continuing from {source.Describe()}, as the restore began");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RestoreFailedException($"{e.Message}; the restore cannot start. Nothing on the node was changed.", e);
        }

        while (true)
        {
            var last = stages[^1];
            var next = last switch
            {
                RestoreStage.Started => RestoreStage.RestoreFiles,
                RestoreStage.RestoreFiles => RestoreStage.RestoreCluster,
                _ => RestoreStage.Final,
            };
            try
            {
                switch (next)
                {
                    case RestoreStage.RestoreFiles:
                        await RestoreFilesAsync(manifest, root, host, cancellationToken).ConfigureAwait(false);
                        if (!options.Unattended)
                        {
                            log.Info($"Please reboot now with 'systemctl reboot', then run '{ProgramName} --resume'");
                        }
                        return RestoreOutcome.RebootRequired;
                    case RestoreStage.RestoreCluster:
                        await RestoreClusterAsync(manifest, root, host, etcdTool, cancellationToken).ConfigureAwait(false);
                        if (options.Step)
                        {
                            log.Info($"Stage {RestoreStage.RestoreCluster} complete (--step); run '{ProgramName} --step' or '{ProgramName} --resume' to continue with the redeployment");
                            return RestoreOutcome.SteppedStage;
                        }

                        stages = _progress.Read().ToList();
                        continue;
                    default:
                        await FinalAsync(cancellationToken).ConfigureAwait(false);
                        return RestoreOutcome.Complete;
                }
            }
            catch (Exception e) when (e is not RestoreFailedException)
            {
                // Whatever went wrong (a tool, the disk, a bug), the node is partly restored and the answer is the same.
                var cause = Cause(e, cancellationToken);
                throw new RestoreFailedException(
                    $"Stage {next} failed: {cause}\n" +
                    $"Completed stages: {CompletedStages()}. Fix the cause above, then run '{ProgramName} --resume' to retry stage {next}, " +
                    $"or '{ProgramName} --restart' to start the restore over.",
                    e,
                    RestoreFailure.StageFailed);
            }
        }
    }

    private string CompletedStages()
    {
        try
        {
            return string.Join(", ", _progress.Read());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return $"unknown ({e.Message})";
        }
    }

    /// <summary>The one line that says what went wrong: the first real error inside parallel work, and whether there were more.</summary>
    private static string Cause(Exception e, CancellationToken cancellationToken)
    {
        if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return "interrupted";
        }

        var more = 0;
        while (e is AggregateException aggregate)
        {
            var inner = aggregate.Flatten().InnerExceptions;
            more += inner.Count - 1;
            e = inner[0];
        }

        var known = e is NodeToolException or IOException or TimeoutException or OstreeException or UnauthorizedAccessException or InvalidDataException;
        var text = known ? e.Message : $"unexpected {e.GetType().Name}: {e.Message} (please report this)";
        return more > 0 ? $"{text} (and {more} more error(s) like it)" : text;
    }

    private List<string> PreChecks()
    {
        if (string.IsNullOrWhiteSpace(options.Kubeconfig) || !IsReadable(options.Kubeconfig))
        {
            throw new RestoreFailedException("Please provide kubeconfig location in KUBECONFIG env variable");
        }

        foreach (var name in new[] { BackupLayout.ClusterDir, BackupLayout.EtcDir, BackupLayout.LocalDir, BackupLayout.KubeletDir })
        {
            if (!Directory.Exists(_dir.Fixed(name)))
            {
                throw new RestoreFailedException($"Required backup content not found in {options.BackupDir}");
            }
        }

        if (options.Restart && _progress.Exists)
        {
            log.Info($"--restart: clearing the progress file {_progress.Path}; the restore starts from the first stage");
            _progress.Delete();
        }

        List<string> stages;
        try
        {
            stages = _progress.Read().ToList();
        }
        catch (InvalidDataException e)
        {
            throw new RestoreFailedException(e.Message, e);
        }

        if (stages.Count > 0 && !options.Resume && !options.Step)
        {
            throw new RestoreFailedException("Restore has already started. Use --restart option to restart, or --step to resume");
        }

        if (stages.Count > 0)
        {
            log.Info($"Resuming after stage {stages[^1]}");
        }

        return stages;
    }

    private ConfinedDirectory OpenHostRoot()
    {
        try
        {
            return ConfinedDirectory.Open(options.HostRoot);
        }
        catch (NativeException e)
        {
            throw new RestoreFailedException($"The host root {options.HostRoot} cannot be used ({e.Message}); check --host-root. Nothing on the node was changed.", e, RestoreFailure.BadInput);
        }
    }

    private static bool IsReadable(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static BackupManifest ReadManifest(string root)
    {
        try
        {
            return ManifestStore.Read(root);
        }
        catch (InvalidDataException e)
        {
            throw new RestoreFailedException(e.Message + "; nothing on the node was changed", e);
        }
    }

    /// <summary>The deployment the node runs (the booted one, or the default under a host root); null when it cannot be told and --force allows going on.</summary>
    private OstreeDeployment? ActiveDeployment()
    {
        try
        {
            using var sysroot = OstreeSysroot.Open(PlatformRollback.OstreeSysrootOf(options.HostRoot));
            var deployments = sysroot.Deployments();
            return deployments.FirstOrDefault(d => d.Booted) ?? deployments.FirstOrDefault();
        }
        catch (OstreeException e)
        {
            if (options.Force)
            {
                log.Warn($"{e.Message}; continuing because of --force");
                return null;
            }

            throw new RestoreFailedException($"{e.Message}; cannot tell whether the active deployment is the pinned one (use --force to go on anyway)", e);
        }
    }

    private void CheckPinned(OstreeDeployment? active)
    {
        const string message = "Active ostree deployment is not pinned and should be rolled back.";
        if (active is { Pinned: true })
        {
            return;
        }

        if (options.Force)
        {
            log.Warn($"{message} Continuing because of --force.");
            return;
        }

        throw new RestoreFailedException($"{message}\nRun 'talm recovery rollback' (or 'rpm-ostree rollback -r'), reboot, then run '{ProgramName}' again; or use --force to restore onto this OS anyway.");
    }

    /// <summary>The backup must be of this node and of the OS it runs, before anything is changed.</summary>
    private void CheckOrigin(BackupManifest manifest, ConfinedDirectory host, OstreeDeployment? active)
    {
        var origin = BackupOrigin.Compare(manifest, NodeIdentity.Read(host, options.HostRoot == "/"), active);
        if (origin.Mismatches.Count > 0)
        {
            var list = string.Join("\n", origin.Mismatches.Select(m => "  - " + m));
            if (!options.Force)
            {
                throw new RestoreFailedException(
                    $"This backup is not of this node, or not of the OS it runs:\n{list}\n" +
                    "Nothing on the node was changed. Restore this node's own backup ('talm recovery status' shows whose this one is), " +
                    $"after 'talm recovery rollback' if the OS differs; only if you are sure it is right, run '{ProgramName} --force'.");
            }

            log.Warn("--force: THIS BACKUP IS NOT OF THIS NODE, or not of the OS it runs; restoring it anyway:");
            foreach (var mismatch in origin.Mismatches)
            {
                log.Warn("  " + mismatch);
            }

            log.Warn("--force: /etc, /usr/local, /var/lib/kubelet and etcd are about to be replaced by this backup's");
        }
        else if (!origin.Confirmed)
        {
            log.Warn($"Cannot confirm that this backup is of this node: neither side records its {string.Join(", ", origin.Unconfirmed)}");
        }
    }

    /// <summary>--resume continues a restore only on the host root it began on.</summary>
    private void CheckSameHostRoot()
    {
        var recorded = _progress.RecordedHostRoot();
        if (recorded is null || recorded == options.HostRoot)
        {
            return;
        }

        throw new RestoreFailedException(
            $"The restore in {options.BackupDir} began on the host root {recorded}, not {options.HostRoot}; nothing was changed. " +
            $"Run '{ProgramName} --host-root {recorded} --resume' to continue it there, or '--restart' to start over on {options.HostRoot}.");
    }

    private async Task VerifyBackupAsync(RestoreSource source, bool beforeAnyChange, long totalBytes, CancellationToken cancellationToken)
    {
        log.Info($"Verifying the backup in {options.BackupDir} against its manifest before changing anything ({totalBytes / (1024.0 * 1024.0):0} MiB to re-hash)");
        long hashed = 0;
        using var ticker = time.CreateTimer(
            _ => log.Info($"  verifying: {Interlocked.Read(ref hashed) / (1024.0 * 1024.0):0} / {totalBytes / (1024.0 * 1024.0):0} MiB"),
            null,
            TimeSpan.FromSeconds(5),
            TimeSpan.FromSeconds(5));
        var report = await BackupVerifier.VerifyAsync(source.Root, options.Parallelism, n => Interlocked.Add(ref hashed, n), cancellationToken).ConfigureAwait(false);
        if (report.Intact)
        {
            log.Info($"Backup verified: {report.FilesChecked} files, {report.BytesChecked / (1024.0 * 1024.0):0.0} MiB");
            return;
        }

        var shown = report.Problems.Take(20).Select(p => "  - " + p);
        var more = report.Problems.Count > 20 ? $"\n  ... and {report.Problems.Count - 20} more" : "";
        var state = beforeAnyChange ? "Nothing on the node was changed." : "The restore stopped before its next stage.";
        throw new RestoreFailedException(
            $"The backup in {options.BackupDir} is damaged ({report.Problems.Count} problem(s)); refusing to restore from it. {state}\n" +
            string.Join("\n", shown) + more +
            "\nRun 'talm recovery verify --dir " + options.BackupDir + (source.IsCurrent ? "" : " --generation " + source.Generation) + "' for the full list; restore from an intact copy of the backup.");
    }

    private async Task Tool(string step, string name, params string[] args)
    {
        // Stopping kubelet or removing every pod can take minutes: say so while it runs.
        using var beat = Heartbeat.Start(log, time, options.HeartbeatPeriod, $"'{string.Join(' ', args.Prepend(name))}' to finish");
        await tools.RunAsync(step, name, args).ConfigureAwait(false);
    }

    private async Task RestoreFilesAsync(BackupManifest manifest, string root, ConfinedDirectory host, CancellationToken cancellationToken)
    {
        const string step = RestoreStage.RestoreFiles;
        log.Info($"Stage {step}: stopping the node's workloads and restoring /usr/local and /etc");
        await Tool(step, "setenforce", "0").ConfigureAwait(false);
        var completed = false;
        try
        {
            await Tool(step, "systemctl", "stop", "kubelet").ConfigureAwait(false);
            await Tool(step, "crictl", "rmp", "-fa").ConfigureAwait(false);
            await Tool(step, "systemctl", "stop", "crio").ConfigureAwait(false);
            await Tool(step, "crio", "wipe", "-f").ConfigureAwait(false);

            foreach (var tree in RestoredTree.All.Where(t => t.Stage == step))
            {
                Mirror(host, tree, manifest, root, cancellationToken);
            }

            var extras = Path.Combine(root, BackupLayout.ExtrasArchive);
            if (File.Exists(extras))
            {
                log.Info("Unpacking extras.tgz (machine-config files outside the three trees) at /");
                await UnpackExtrasAsync(step, extras, host, cancellationToken).ConfigureAwait(false);
            }

            await Tool(step, "systemctl", "daemon-reload").ConfigureAwait(false);
            await Tool(step, "systemctl", "disable", "kubelet").ConfigureAwait(false);
            _progress.Append(step);
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                // Leave SELinux as we found it even when the stage fails; the failure is the error to report.
                await tools.TryRunAsync(step, "setenforce", ["1"], CancellationToken.None).ConfigureAwait(false);
            }
        }

        await Tool(step, "setenforce", "1").ConfigureAwait(false);
        log.Info($"Stage {step} complete");
    }

    private void Mirror(ConfinedDirectory host, RestoredTree tree, BackupManifest manifest, string root, CancellationToken cancellationToken)
    {
        var hostPath = tree.HostPath;
        using var target = HostDirectory(host, hostPath, create: true);
        var resolved = "/" + target.Relative;
        log.Info($"Restoring {hostPath}{(resolved == hostPath ? "" : $" (that is {resolved})")} from {tree.BackupName}/ (only what differs is rewritten)");
        var request = tree.Request(root, manifest, target.Path);
        var result = new TreeMirror(options.Parallelism).Mirror(request, target, new SynchronousProgress(log), cancellationToken);
        log.Info($"Restored {hostPath}: {result.Entries} entries, {result.Copied} rewritten ({result.BytesCopied / (1024.0 * 1024.0):0.0} MiB), " +
                 $"{result.MetadataFixed} metadata fixed, {result.Deleted} removed, {result.Hashed} hashed, in {result.Duration.TotalSeconds:0.0}s");
    }

    /// <summary>tar unpacks beside the backup, never on the host; the files then go in through the host root's handle.</summary>
    private async Task UnpackExtrasAsync(string step, string archive, ConfinedDirectory host, CancellationToken cancellationToken)
    {
        var scratch = _dir.ExtrasScratch;
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }

        Directory.CreateDirectory(scratch);
        try
        {
            await tools.RunAsync(step, "tar", ["-xzpf", archive, "-C", scratch, "--numeric-owner", "--xattrs", "--xattrs-include=*"], cancellationToken).ConfigureAwait(false);
            UnpackedTree.CopyInto(scratch, host, SymlinkPolicy.InRoot, onlyWhatDiffers: false, withXattrs: true);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private async Task RestoreClusterAsync(BackupManifest manifest, string root, ConfinedDirectory host, EtcdRestoreTool etcdTool, CancellationToken cancellationToken)
    {
        const string step = RestoreStage.RestoreCluster;
        log.Info($"Stage {step}: restoring /var/lib/kubelet and etcd");
        foreach (var tree in RestoredTree.All.Where(t => t.Stage == step))
        {
            Mirror(host, tree, manifest, root, cancellationToken);
        }

        var crio = await tools.TryRunAsync(step, "systemctl", ["is-active", "crio"], cancellationToken).ConfigureAwait(false);
        if (!crio.Succeeded)
        {
            await Tool(step, "systemctl", "start", "crio").ConfigureAwait(false);
        }

        var containers = new NodeContainers(tools, log, time, options.HeartbeatPeriod);
        var oldIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in NodeContainers.Watched)
        {
            oldIds[name] = await containers.RunningIdAsync(step, name, cancellationToken).ConfigureAwait(false);
        }

        if (etcdTool.Method == EtcdRestoreMethod.ClusterRestoreScript)
        {
            await RunClusterRestoreScriptAsync(step, etcdTool, root, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RestoreEtcdAsync(step, manifest, root, host, etcdTool, cancellationToken).ConfigureAwait(false);
        }

        await Tool(step, "systemctl", "enable", "kubelet").ConfigureAwait(false);
        await Tool(step, "systemctl", "restart", "crio").ConfigureAwait(false);
        await Tool(step, "systemctl", "restart", "kubelet").ConfigureAwait(false);
        foreach (var name in NodeContainers.Watched)
        {
            await containers.WaitForNewIdAsync(step, name, oldIds[name], options.ContainerTimeout, options.PollInterval, cancellationToken).ConfigureAwait(false);
        }

        _progress.Append(step);
        log.Info($"Stage {step} complete");
    }

    /// <summary>
    /// The reference's way: OpenShift's <c>cluster-restore.sh</c> with the backup's cluster directory. It stops the
    /// etcd static pod, moves the data directory's member to /var/lib/etcd-backup and brings etcd back from the
    /// snapshot (and, in its newer versions, the other static pods).
    /// </summary>
    private async Task RunClusterRestoreScriptAsync(string step, EtcdRestoreTool script, string root, CancellationToken cancellationToken)
    {
        var cluster = Path.Combine(root, BackupLayout.ClusterDir);
        log.Info($"Restoring etcd and the static pods with {script.Path} {cluster} (OpenShift's restore script)");
        using (Heartbeat.Start(log, time, options.HeartbeatPeriod, "cluster-restore.sh"))
        {
            var result = await tools.RunAsync(step, script.Path, [cluster], cancellationToken).ConfigureAwait(false);
            foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(10))
            {
                log.Info("  cluster-restore.sh: " + line);
            }
        }
    }

    private async Task RestoreEtcdAsync(string step, BackupManifest manifest, string root, ConfinedDirectory host, EtcdRestoreTool etcdTool, CancellationToken cancellationToken)
    {
        var containers = new NodeContainers(tools, log, time, options.HeartbeatPeriod);

        // /etc/kubernetes is inside the restored /etc: no symlink is followed below it.
        using var kubernetes = HostDirectory(host, "/etc").OpenDirectory("kubernetes");
        using var manifests = kubernetes.OpenDirectory("manifests", create: true);

        // Kept in the backup directory, not under /etc/kubernetes, so the restored /etc stays an exact mirror.
        var stashed = _dir.StoppedEtcdPod;
        const string etcdManifest = "etcd-pod.yaml";
        if (manifests.TryStat(etcdManifest) is { Kind: FileKind.Regular })
        {
            log.Info("Stopping the etcd static pod (moving its manifest out of manifests/)");
            MoveOut(manifests, etcdManifest, stashed);
        }

        await containers.WaitGoneAsync(step, "etcd", options.ContainerTimeout, options.PollInterval, cancellationToken).ConfigureAwait(false);

        var archive = Path.Combine(root, manifest.Etcd.StaticPodResourcesArchive);
        var archived = await ArchivedManifestsAsync(step, archive, cancellationToken).ConfigureAwait(false);
        var etcdYaml = archived.TryGetValue("etcd", out var etcdInArchive) ? null : (File.Exists(stashed) ? await File.ReadAllTextAsync(stashed, cancellationToken).ConfigureAwait(false) : null);
        var (memberName, peerUrl) = EtcdMemberIdentity.FromManifest(etcdYaml ?? ReadArchivedEtcdManifest(archive, etcdInArchive), manifest.Host);
        string etcdData;
        using (var varLib = HostDirectory(host, "/var/lib"))
        {
            // The etcd tools take a path: the data directory's parent is resolved beneath the host root, and the
            // data directory itself must not be a symlink (it is renamed, never followed).
            if (varLib.TryStat("etcd") is { Kind: FileKind.Symlink })
            {
                throw new SymlinkRefusedException(varLib.Child("etcd"));
            }

            etcdData = varLib.Child("etcd");
        }

        var aside = await new EtcdDataRestore(tools, log, time, options.HeartbeatPeriod).RestoreAsync(
            step, etcdTool, Path.Combine(root, manifest.Etcd.SnapshotFile), etcdData, options.BackupDir, memberName, peerUrl, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (aside is not null)
        {
            log.Info($"The pre-recovery etcd data is kept in {aside}");
        }

        log.Info("Putting back the static pod resources of the backup's revisions");
        await new StaticPodResources(tools, log).PutBackAsync(step, archive, kubernetes, _dir.StaticPodResourcesScratch, cancellationToken).ConfigureAwait(false);
        foreach (var pod in StaticPods)
        {
            if (archived.TryGetValue(pod, out var relative))
            {
                using var from = kubernetes.OpenDirectory(ManifestPath.Parent(relative));
                var name = Path.GetFileName(relative);
                using var input = from.OpenFile(name);
                PutFile(manifests, $"{pod}-pod.yaml", input, from.TryStat(name)!.Permissions);
            }
        }

        if (File.Exists(stashed))
        {
            if (!archived.ContainsKey("etcd"))
            {
                using var input = File.OpenHandle(stashed);
                PutFile(manifests, etcdManifest, input, Posix.LStat(stashed).Permissions);
            }

            File.Delete(stashed);
        }
    }

    /// <summary>Moves a host file out into the backup directory (a copy when they are on different filesystems).</summary>
    private static void MoveOut(ConfinedDirectory dir, string name, string destination)
    {
        var mode = dir.TryStat(name)!.Permissions;
        File.Delete(destination);
        using (var input = dir.OpenFile(name))
        using (var output = File.Open(destination, FileMode.Create, FileAccess.Write))
        {
            Posix.CopyContent(input, output.SafeFileHandle, destination);
            output.Flush(flushToDisk: true);
        }

        Posix.Chmod(destination, mode);
        dir.Delete(name);
    }

    /// <summary>Writes <paramref name="content"/> as <paramref name="name"/>: beside it first, then renamed over it.</summary>
    private static void PutFile(ConfinedDirectory dir, string name, Microsoft.Win32.SafeHandles.SafeFileHandle content, int mode)
    {
        const string temp = ".talm-new";
        dir.Delete(temp);
        using (var output = dir.CreateFile(temp))
        {
            Posix.CopyContent(content, output, dir.Child(name));
        }

        dir.SetMode(temp, mode);
        dir.Rename(temp, name);
    }

    /// <summary>Which static pod manifests the resources archive holds: pod → path relative to /etc/kubernetes.</summary>
    private async Task<Dictionary<string, string>> ArchivedManifestsAsync(string step, string archive, CancellationToken cancellationToken)
    {
        var listing = await tools.RunAsync(step, "tar", ["-tzf", archive], cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in listing.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = line.StartsWith("./", StringComparison.Ordinal) ? line[2..] : line;
            foreach (var pod in StaticPods)
            {
                var parts = name.Split('/');
                if (parts.Length == 3 && parts[0] == "static-pod-resources" && parts[1].StartsWith(pod + "-pod-", StringComparison.Ordinal)
                    && int.TryParse(parts[1][(pod.Length + 5)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out _) && parts[2] == $"{pod}-pod.yaml")
                {
                    result[pod] = name;
                }
            }
        }

        return result;
    }

    private static string? ReadArchivedEtcdManifest(string archive, string? relative)
    {
        if (relative is null)
        {
            return null;
        }

        using var file = File.OpenRead(archive);
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        using var tar = new System.Formats.Tar.TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
            if (name == relative && entry.DataStream is not null)
            {
                using var reader = new StreamReader(entry.DataStream);
                return reader.ReadToEnd();
            }
        }

        return null;
    }

    private async Task FinalAsync(CancellationToken cancellationToken)
    {
        const string step = RestoreStage.Final;
        log.Info($"Final stage: forcing redeployment of the control plane from the restored state");
        var reason = "recovery-" + time.GetUtcNow().ToString("yyyy-MM-dd_HHmmss", CultureInfo.InvariantCulture);
        await new Redeployment(tools, log, time, options.HeartbeatPeriod).RunAsync(step, reason, options.RedeployTimeout, options.PollInterval, cancellationToken).ConfigureAwait(false);

        var status = await tools.TryRunAsync(step, "oc", ["get", "clusterversion,nodes,clusteroperator"], cancellationToken).ConfigureAwait(false);
        if (status.Succeeded)
        {
            log.Info("Cluster status:\n" + status.StdOut);
        }
        else
        {
            log.Warn($"could not show the cluster status ('{status.Command}': {status.Output}); check it with 'oc get clusterversion,nodes,clusteroperator'");
        }

        _progress.Delete();
        var asideRecord = EtcdDataRestore.AsideRecordPath(options.BackupDir);
        if (File.Exists(asideRecord))
        {
            log.Info($"The pre-recovery etcd data stays in {File.ReadAllText(asideRecord).Trim()}; remove it once the cluster is healthy");
            File.Delete(asideRecord);
        }

        log.Info("Recovery complete");
    }

    /// <summary>Reports mirror progress on the calling thread (Progress&lt;T&gt; would post it to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress(RecoveryLog log) : IProgress<MirrorProgress>
    {
        public void Report(MirrorProgress value) => log.Info($"  {value.Name}: {value.Done}/{value.Total} entries checked");
    }
}
