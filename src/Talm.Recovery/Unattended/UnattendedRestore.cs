using Talm.Recovery.Host;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Restore;
using Talm.Recovery.Rollback;
using Talm.Recovery.Systemd;

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
    private readonly UnitInstaller _installer = new(options.HostRoot, tools, log);

    /// <summary>Reboot once the unit is armed (the unit's own command line always has it).</summary>
    public bool Reboot { get; init; }

    public ResultPublisher Publisher { get; init; } = new(log, time);

    /// <summary>
    /// The deployment list as libostree gives it. Tests replace it: under a host root nothing is ever booted, so the
    /// live node's case (the pinned deployment runs only after a reboot) cannot otherwise be reached off a node.
    /// </summary>
    internal Func<HostPaths, IReadOnlyList<OstreeDeployment>> ReadDeployments { get; init; } = LibostreeDeployments;

    internal static IReadOnlyList<OstreeDeployment> LibostreeDeployments(HostPaths host) => new NodeOstree(host).Deployments();

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
            Systemctl = _installer.Systemctl(options.HostRoot),
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
            var os = new PreUpgradeOs(options, tools, log, ReadDeployments, ProgramName);
            if (!options.Force && await os.PrepareAsync(cancellationToken).ConfigureAwait(false) is { } pinned)
            {
                await ArmAsync(unit, UnitTarget.Of(pinned), null,
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

        await ArmAsync(unit, UnitTarget.Current, null, "after the reboot the unit restores kubelet, etcd and the control plane and records the result").ConfigureAwait(false);
        return await RebootAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<UnattendedOutcome> ContinueAsync(CancellationToken cancellationToken)
    {
        // The record of this restore's arming; one of an earlier, finished restore is not carried on.
        var previous = _dir.RestoreResult.TryRead() is { Finished: false } armed ? armed : null;
        // The unit never runs twice for one arming: disabled (and removed) before the restore goes on.
        await _installer.RemoveAsync().ConfigureAwait(false);
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
                await ArmAsync(Unit(), UnitTarget.Current, running, "after the reboot the unit restores kubelet, etcd and the control plane and records the result").ConfigureAwait(false);
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

    /// <summary>Installs and enables the unit in the given deployment's /etc, and records that it is armed.</summary>
    private async Task ArmAsync(RestoreUnit unit, UnitTarget target, UnattendedResult? basis, string what)
    {
        try
        {
            await _installer.InstallAsync(unit, target).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NodeToolException or IOException or NativeException or UnauthorizedAccessException or OstreeException)
        {
            throw new RestoreFailedException(
                $"Could not install {RestoreUnit.Name}: {e.Message}. Reboot with 'systemctl reboot' and continue by hand with '{ProgramName} --resume'.", e, RestoreFailure.StageFailed);
        }

        log.Info($"Installed and enabled {RestoreUnit.Name}{target.Describe()}: {what}. It runs once: {RestoreUnit.CommandLine(unit.Command)}");
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
}
