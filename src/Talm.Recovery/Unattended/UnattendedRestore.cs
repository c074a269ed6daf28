using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Backup;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Restore;
using Talm.Recovery.Rollback;
using Talm.Recovery.Systemd;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Unattended;

/// <summary>How an unattended run ended (failures throw <see cref="RestoreFailedException"/>, recorded first when the unit's run fails).</summary>
public enum UnattendedOutcome
{
    /// <summary>The unit is armed and the reboot was asked for (--reboot).</summary>
    Rebooting,

    /// <summary>The unit is armed; the node must be rebooted for the restore to go on.</summary>
    RebootRequired,

    /// <summary>The restore completed; the unit is gone.</summary>
    Complete,
}

/// <summary>
/// <c>talm recovery restore --unattended</c> (docs/recovery.md, "Unattended"). Without --resume it is the one
/// command an engineer types: it rolls the OS back when the upgrade changed it, restores the files when the node
/// runs the pre-upgrade OS, arms <see cref="RestoreUnit"/> and (with --reboot) reboots. With --resume it is what
/// the unit runs at boot: it disarms the unit, continues the restore, arms it again only if the restore needs one
/// more reboot (it completed a stage, so this cannot loop), and records the result on the node and in the cluster.
/// </summary>
public sealed class UnattendedRestore(RestoreOptions options, NodeToolRunner tools, RecoveryLog log, TimeProvider time)
{
    public const string Step = "unattended";

    private readonly BackupDirectory _dir = new(options.BackupDir);

    /// <summary>Reboot once the unit is armed (the unit's own command line always has it).</summary>
    public bool Reboot { get; init; }

    public ResultPublisher Publisher { get; init; } = new(log, time);

    /// <summary>
    /// The deployment list as libostree gives it. Tests replace it: under a host root nothing is ever booted, so the
    /// live node's case (the pinned deployment runs only after a reboot) cannot otherwise be reached off a node.
    /// </summary>
    internal Func<string, IReadOnlyList<OstreeDeployment>> ReadDeployments { get; init; } = LibostreeDeployments;

    internal static IReadOnlyList<OstreeDeployment> LibostreeDeployments(string sysrootPath)
    {
        using var sysroot = OstreeSysroot.Open(sysrootPath);
        return sysroot.Deployments();
    }

    private string ProgramName => options.InvokedAs ?? RestoreRunner.DefaultProgramName(options.BackupDir);

    public Task<UnattendedOutcome> RunAsync(CancellationToken cancellationToken) =>
        options.Resume ? ContinueAsync(cancellationToken) : StartAsync(cancellationToken);

    /// <summary>The unit this node gets: the agent in the backup's bin/ continuing this restore.</summary>
    public RestoreUnit Unit()
    {
        var bin = _dir.Bin;
        IReadOnlyList<string>? agent = null;
        foreach (var name in new[] { "talm-recovery", "talm" })
        {
            if (File.Exists(Path.Combine(bin, name)))
            {
                agent = [Path.Combine(bin, name)];
                break;
            }
        }

        foreach (var name in new[] { "talm-recovery.dll", "talm.dll" })
        {
            if (agent is null && File.Exists(Path.Combine(bin, name)))
            {
                var dotnet = tools.Find("dotnet") ?? throw Refused($"{Path.Combine(bin, name)} needs 'dotnet' to run, and this node has none on PATH; run the restore by hand (docs/recovery.md, steps 3 and 4).");
                agent = [Path.GetFullPath(dotnet), Path.Combine(bin, name)];
            }
        }

        if (agent is null)
        {
            throw Refused($"--unattended runs the talm the backup carries, and {bin} holds none (talm-recovery or talm); run the restore by hand (docs/recovery.md, steps 3 and 4).");
        }

        List<string> command = [.. agent, "recovery", "restore", "--dir", options.BackupDir];
        if (options.HostRoot != "/")
        {
            command.AddRange(["--host-root", options.HostRoot]);
        }

        if (options.Generation is { } generation)
        {
            // A restore that has not begun yet at the reboot (the two-reboot case) must begin from the chosen restore point.
            command.AddRange(["--generation", generation]);
        }

        if (options.EtcdRestore == EtcdRestoreMethod.ClusterRestoreScript)
        {
            command.AddRange(["--etcd-restore", "cluster-restore.sh"]);
        }

        command.AddRange(["--resume", "--unattended", "--reboot"]);
        // systemd gives a unit without User= no HOME; oc keeps its discovery cache there.
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["HOME"] = "/root" };
        if (!string.IsNullOrEmpty(options.Kubeconfig))
        {
            environment["KUBECONFIG"] = Path.GetFullPath(options.Kubeconfig);
        }

        return new RestoreUnit
        {
            Command = command,
            BackupDir = options.BackupDir,
            Systemctl = Systemctl(options.HostRoot),
            Environment = environment,
            WrittenAt = time.GetUtcNow(),
        };
    }

    private async Task<UnattendedOutcome> StartAsync(CancellationToken cancellationToken)
    {
        var unit = Unit();
        var stages = CompletedStages();
        if (stages.Count == 0)
        {
            if (!options.Force && await PrepareOsAsync(cancellationToken).ConfigureAwait(false) is { } nextBoot)
            {
                await ArmAsync(unit, nextBoot, null,
                    "the node boots the pre-upgrade OS, then the unit restores the files (stage restore_files), reboots once more and finishes the restore").ConfigureAwait(false);
                return await RebootAsync(cancellationToken).ConfigureAwait(false);
            }

            await Runner(resume: false).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (stages[^1] == RestoreStage.Started)
        {
            throw Refused(
                $"A restore has already started and its first stage (restore_files) did not complete. Run '{ProgramName} --resume --unattended --reboot' " +
                $"to continue it unattended, or '{ProgramName} --resume' by hand.");
        }

        await ArmAsync(unit, RootDeployment.Current, null, "after the reboot the unit restores kubelet, etcd and the control plane and records the result").ConfigureAwait(false);
        return await RebootAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<UnattendedOutcome> ContinueAsync(CancellationToken cancellationToken)
    {
        // The record of this restore's arming; one of an earlier, finished restore is not carried on.
        var previous = _dir.RestoreResult.TryRead() is { Finished: false } armed ? armed : null;
        await DisarmAsync().ConfigureAwait(false);
        var running = Basis(previous) with
        {
            State = UnattendedState.Running,
            Stage = StageReached(),
            Message = "the restore is running",
            Next = $"wait: 'journalctl -t {RecoveryLog.JournalTag} -f' follows it",
            StartedAt = time.GetUtcNow(),
            FinishedAt = null,
            Runs = (previous?.Runs ?? 0) + 1,
            PublishedAt = null,
            PublishProblem = null,
        };
        _dir.RestoreResult.Write(running);

        UnattendedResult? final = null;
        try
        {
            var outcome = await Runner(resume: true).RunAsync(cancellationToken).ConfigureAwait(false);
            if (outcome == RestoreOutcome.RebootRequired)
            {
                // This run restored the files: one more reboot, then the rest.
                await ArmAsync(Unit(), RootDeployment.Current, running, "after the reboot the unit restores kubelet, etcd and the control plane and records the result").ConfigureAwait(false);
            }
            else
            {
                final = running with { State = UnattendedState.Succeeded, Stage = RestoreStage.Final, Message = "Recovery complete", Next = null, FinishedAt = time.GetUtcNow() };
            }
        }
        catch (Exception e)
        {
            var interrupted = e is OperationCanceledException && cancellationToken.IsCancellationRequested;
            var message = e switch
            {
                RestoreFailedException => e.Message,
                _ when interrupted => "interrupted (the agent was stopped, e.g. by a shutdown)",
                _ => $"unexpected {e.GetType().Name}: {e.Message} (please report this)",
            };
            final = running with
            {
                State = UnattendedState.Failed,
                Stage = StageReached(),
                Message = message,
                Next = $"{RestoreUnit.Name} is disabled and will not run again. Fix the cause in the message, then run '{ProgramName} --resume' by hand " +
                       $"(or '{ProgramName} --resume --unattended --reboot' to hand it back to the unit)",
                FinishedAt = time.GetUtcNow(),
            };
            _dir.RestoreResult.Write(final);
            log.Error($"The unattended restore failed; recorded in {_dir.RestoreResult.Path}. {final.Next}");
            if (!interrupted)
            {
                _dir.RestoreResult.Write(await Publisher.PublishAsync(options.Kubeconfig, final, CancellationToken.None).ConfigureAwait(false));
            }

            throw;
        }

        if (final is null)
        {
            // Armed again (recorded so): whatever happens to the reboot, the next boot continues.
            return await RebootAsync(cancellationToken).ConfigureAwait(false);
        }

        _dir.RestoreResult.Write(final);
        log.Info($"The unattended restore succeeded; recorded in {_dir.RestoreResult.Path}");
        _dir.RestoreResult.Write(await Publisher.PublishAsync(options.Kubeconfig, final, cancellationToken).ConfigureAwait(false));
        return UnattendedOutcome.Complete;
    }

    /// <summary>
    /// Puts the pre-upgrade OS back when the upgrade changed it. Returns the root of the deployment to arm the unit
    /// in when that OS runs only after a reboot (a live node: each ostree deployment has its own /etc); null when the
    /// node runs it already, or under a host root, where nothing is booted and the default deployment is the node's OS.
    /// </summary>
    private async Task<RootDeployment?> PrepareOsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<OstreeDeployment> deployments;
        try
        {
            deployments = ReadDeployments(PlatformRollback.OstreeSysrootOf(options.HostRoot));
        }
        catch (OstreeException)
        {
            return null; // the restore's own pre-checks say what is wrong with the sysroot
        }

        var plan = RollbackPlanner.Plan(deployments);
        var active = deployments.FirstOrDefault(d => d.Booted) ?? deployments.FirstOrDefault();
        if (plan.Pinned is not { } pinned || (plan.Action == RollbackAction.None && active is { Pinned: true }))
        {
            return null;
        }

        var live = deployments.Any(d => d.Booted);
        if (live)
        {
            await PreflightAsync(pinned, cancellationToken).ConfigureAwait(false);
        }

        if (plan.Action != RollbackAction.None)
        {
            log.Info($"The node's OS is not the pinned pre-upgrade deployment: rolling back first ({plan.Describe()})");
            try
            {
                await new PlatformRollback(tools, log).RunAsync(options.HostRoot, PlatformRollback.UsesRpmOstree(options.HostRoot, tools), reboot: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RollbackRefusedException or OstreeException or NodeToolException or IOException)
            {
                throw new RestoreFailedException($"The rollback failed: {e.Message}. The restore did not start.", e);
            }
        }

        return live ? RootDeployment.Of(pinned) : null;
    }

    /// <summary>Before a rollback and a reboot: what would make the restore refuse after it, checked now.</summary>
    private async Task PreflightAsync(OstreeDeployment pinned, CancellationToken cancellationToken)
    {
        const string unchanged = "Nothing on the node was changed.";
        if (string.IsNullOrWhiteSpace(options.Kubeconfig) || !File.Exists(options.Kubeconfig))
        {
            throw Refused("Please provide kubeconfig location in KUBECONFIG env variable");
        }

        var root = RestoreSource.Choose(options.BackupDir, options.Generation, started: false, ProgramName).Root;
        BackupManifest manifest;
        try
        {
            manifest = ManifestStore.Read(root);
        }
        catch (InvalidDataException e)
        {
            throw Refused($"{e.Message}. {unchanged}");
        }

        _ = EtcdRestoreTool.Find(options.EtcdRestore, options.HostRoot, tools.SearchPath);
        var origin = BackupOrigin.Compare(manifest, NodeIdentity.Read(options.HostRoot), pinned);
        if (origin.Mismatches.Count > 0)
        {
            throw Refused($"This backup is not of this node, or not of the OS it pinned:\n{string.Join("\n", origin.Mismatches.Select(m => "  - " + m))}\n{unchanged}");
        }

        log.Info($"Verifying the backup in {options.BackupDir} before the rollback and the reboot");
        var report = await BackupVerifier.VerifyAsync(root, options.Parallelism, null, cancellationToken).ConfigureAwait(false);
        if (!report.Intact)
        {
            throw Refused($"The backup in {options.BackupDir} is damaged ({report.Problems.Count} problem(s)), e.g. {report.Problems[0]}; refusing to roll back and restore. {unchanged} " +
                          $"Run 'talm recovery verify --dir {options.BackupDir}' for the full list.");
        }
    }

    /// <summary>Installs and enables the unit in the given deployment's /etc, and records that it is armed.</summary>
    private async Task ArmAsync(RestoreUnit unit, RootDeployment target, UnattendedResult? basis, string what)
    {
        try
        {
            // A deployment other than the running one lives on /sysroot, which RHCOS mounts read-only.
            using var writable = target.Relative.Length > 0 ? OstreeWriteAccess.Acquire(new HostPaths(options.HostRoot), NullLogger.Instance) : null;
            using (var host = ConfinedDirectory.Open(options.HostRoot))
            using (var dir = host.OpenDirectory(Path.Join(target.Relative, RestoreUnit.Directory), SymlinkPolicy.InRoot, create: true))
            {
                const string temp = RestoreUnit.Name + ".tmp";
                dir.Delete(temp);
                using (var file = dir.CreateFile(temp, FileModes.Readable))
                {
                    RandomAccess.Write(file, System.Text.Encoding.UTF8.GetBytes(unit.Render()), 0);
                    RandomAccess.FlushToDisk(file);
                }

                dir.SetMode(temp, FileModes.Readable);
                dir.Rename(temp, RestoreUnit.Name);
            }

            var root = target.Relative.Length > 0 ? Path.Join(options.HostRoot, target.Relative) : options.HostRoot;
            var systemctl = Systemctl(root);
            await tools.RunAsync(Step, systemctl[0], [.. systemctl.Skip(1), "enable", RestoreUnit.Name]).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NodeToolException or IOException or NativeException or UnauthorizedAccessException or OstreeException)
        {
            throw new RestoreFailedException(
                $"Could not install {RestoreUnit.Name}: {e.Message}. Reboot with 'systemctl reboot' and continue by hand with '{ProgramName} --resume'.", e, RestoreFailure.StageFailed);
        }

        var where = target.Relative.Length > 0 ? $" in the pinned deployment's /etc ({target.Relative})" : "";
        log.Info($"Installed and enabled {RestoreUnit.Name}{where}: {what}. It runs once: {RestoreUnit.CommandLine(unit.Command)}");
        _dir.RestoreResult.Write(Basis(basis) with
        {
            State = UnattendedState.Armed,
            Stage = StageReached(),
            Message = $"{RestoreUnit.Name} is armed: {what}",
            Next = Reboot ? null : "reboot with 'systemctl reboot'",
            ArmedAt = time.GetUtcNow(),
            FinishedAt = null,
            PublishedAt = null,
            PublishProblem = null,
        });
    }

    /// <summary>The unit never runs twice for one arming: disabled (and removed) before the restore goes on.</summary>
    private async Task DisarmAsync()
    {
        var systemctl = Systemctl(options.HostRoot);
        var disabled = await tools.TryRunAsync(Step, systemctl[0], [.. systemctl.Skip(1), "disable", RestoreUnit.Name]).ConfigureAwait(false);
        try
        {
            using var host = ConfinedDirectory.Open(options.HostRoot);
            using var dir = host.OpenDirectory(RestoreUnit.Directory, SymlinkPolicy.InRoot);
            if (dir.TryStat(RestoreUnit.Name) is not null)
            {
                if (!disabled.Succeeded)
                {
                    log.Warn($"'{disabled.Command}' failed ({disabled.Output}); removing the unit file all the same");
                }

                dir.Delete(RestoreUnit.Name);
            }
        }
        catch (NativeException e) when (e.Errno == NativeException.ENOENT)
        {
            // No /etc/systemd/system: nothing was armed here.
        }
    }

    private async Task<UnattendedOutcome> RebootAsync(CancellationToken cancellationToken)
    {
        if (!Reboot)
        {
            log.Info($"Reboot now with 'systemctl reboot': {RestoreUnit.Name} then continues the restore by itself. " +
                     $"Follow it with 'journalctl -t {RecoveryLog.JournalTag} -f', 'talm recovery status' or, from the hub, the ConfigMap {ResultConfigMap.Namespace}/{ResultConfigMap.Name}");
            return UnattendedOutcome.RebootRequired;
        }

        log.Info($"Rebooting now: {RestoreUnit.Name} continues the restore after the boot");
        await tools.RunAsync(Step, "systemctl", ["reboot"], cancellationToken).ConfigureAwait(false);
        return UnattendedOutcome.Rebooting;
    }

    private RestoreRunner Runner(bool resume) => new(options with { Resume = resume, Unattended = true }, tools, log, time);

    /// <summary>systemctl as found on the node, addressing <paramref name="root"/> (offline, with --root, unless it is /).</summary>
    private IReadOnlyList<string> Systemctl(string root)
    {
        var systemctl = tools.Find("systemctl") ?? throw Refused("--unattended installs a systemd unit, and this node has no 'systemctl' on PATH");
        return root == "/" ? [Path.GetFullPath(systemctl)] : [Path.GetFullPath(systemctl), "--root=" + root];
    }

    private IReadOnlyList<string> CompletedStages()
    {
        try
        {
            return _dir.Progress.Read();
        }
        catch (InvalidDataException e)
        {
            throw Refused(e.Message);
        }
    }

    private string StageReached()
    {
        try
        {
            return _dir.Progress.Last() ?? "not-started";
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return "unknown";
        }
    }

    /// <summary>What every record says: which backup (the restore point the restore uses), of which host.</summary>
    private UnattendedResult Basis(UnattendedResult? previous)
    {
        string? generation = null;
        string? host = null;
        try
        {
            var source = RestoreSource.Choose(options.BackupDir, options.Generation, started: StageReached() != "not-started", ProgramName);
            generation = source.Generation;
            host = ManifestStore.Read(source.Root).Host;
        }
        catch (Exception e) when (e is RestoreFailedException or InvalidDataException or IOException)
        {
            // The restore reports a missing or damaged backup itself.
        }

        return (previous ?? new UnattendedResult { State = UnattendedState.Armed, Stage = "not-started" }) with
        {
            Generation = generation,
            Host = host,
        };
    }

    private static RestoreFailedException Refused(string message) => new(message);

    /// <summary>Where the unit goes: the running root's /etc, or a deployment's own (its path under the host root).</summary>
    private sealed record RootDeployment(string Relative)
    {
        public static readonly RootDeployment Current = new("");

        public static RootDeployment Of(OstreeDeployment deployment) => new(Path.Join("ostree", "deploy", deployment.OsName, "deploy", deployment.Id));
    }
}
