using System.CommandLine;
using System.Text.Json;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Restore;
using Talm.Recovery.Rollback;
using Talm.Recovery.Status;

namespace Talm.Cli.Commands;

/// <summary><c>talm recovery restore</c>, <c>rollback</c> and <c>status</c>: what an engineer runs on a node after a failed upgrade.</summary>
public static class RestoreCommands
{
    public static void Register(Command recovery)
    {
        ArgumentNullException.ThrowIfNull(recovery);
        recovery.Subcommands.Add(CreateRestore());
        recovery.Subcommands.Add(CreateRollback());
        recovery.Subcommands.Add(CreateStatus());
    }

    private static Option<string> HostRootOption() =>
        new("--host-root") { Description = "The node's root filesystem (default /; a sandbox directory in tests)", DefaultValueFactory = _ => "/" };

    private static Option<string> DirOption() =>
        new("--dir") { Description = "Backup directory (default /var/recovery)", DefaultValueFactory = _ => BackupLayout.DefaultBackupDir };

    private static Command CreateRestore()
    {
        var command = new Command("restore", "Restore this node from its backup in stages (upgrade-recovery.sh calls this): files, reboot, then --resume for kubelet, etcd and the control plane.");
        var hostRoot = HostRootOption();
        var dir = DirOption();
        var resume = new Option<bool>("--resume") { Description = "Continue a started restore after the reboot or a fixed failure" };
        var restart = new Option<bool>("--restart") { Description = "Forget the progress file and start the restore over" };
        var step = new Option<bool>("--step") { Description = "Stop after each stage (also continues a started restore)" };
        var force = new Option<bool>("--force") { Description = "Restore even if the active ostree deployment is not the pinned one, or the backup's host or OS is not this node's (warnings only)" };
        var etcdRestore = new Option<string>("--etcd-restore")
        {
            Description = "How etcd's snapshot is put back: etcdctl (default: etcdutl/etcdctl from /etc/kubernetes/static-pod-resources/bin, the data directory kept aside) " +
                          "or cluster-restore.sh (OpenShift's /usr/local/bin/cluster-restore.sh, as the reference's utility does)",
            DefaultValueFactory = _ => "etcdctl",
        };
        etcdRestore.AcceptOnlyFromAmong("etcdctl", "cluster-restore.sh");
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Change nothing; print per tree (/usr/local, /etc, /var/lib/kubelet) the files the restore would rewrite, create and delete with their bytes, " +
                          "whether extras.tgz would be unpacked, the etcd revision change, the rollback needed and what would stop the restore (exit 4 if anything would)",
        };
        var etcdEndpoint = new Option<string?>("--etcd-endpoint") { Description = "With --dry-run: the live etcd's client URL to read its revision from (default: found as the backup finds it)" };
        var generation = GenerationOption(
            "Restore this restore point (an ID 'talm recovery status' lists; kept by 'backup --keep N') instead of the current backup; " +
            "recorded when the restore begins, so --resume continues from it without being told (another ID is refused until --restart)");
        var (unattended, reboot) = UnattendedRestoreCommand.Options();
        foreach (var option in (Option[])[hostRoot, dir, resume, restart, step, force, etcdRestore, dryRun, etcdEndpoint, generation, unattended, reboot])
        {
            command.Options.Add(option);
        }

        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var backupDir = Path.GetFullPath(parse.GetValue(dir)!);
            if (parse.GetValue(dryRun))
            {
                return await DryRunAsync(Path.GetFullPath(parse.GetValue(hostRoot)!), backupDir, parse.GetValue(generation), parse.GetValue(etcdEndpoint), output, error, ct).ConfigureAwait(false);
            }

            var options = new RestoreOptions
            {
                HostRoot = Path.GetFullPath(parse.GetValue(hostRoot)!),
                BackupDir = backupDir,
                Generation = parse.GetValue(generation),
                Resume = parse.GetValue(resume),
                Restart = parse.GetValue(restart),
                Step = parse.GetValue(step),
                Force = parse.GetValue(force),
                Kubeconfig = Environment.GetEnvironmentVariable("KUBECONFIG"),
                EtcdRestore = parse.GetValue(etcdRestore) == "cluster-restore.sh" ? EtcdRestoreMethod.ClusterRestoreScript : EtcdRestoreMethod.Etcdctl,
            };
            var tools = Tools(options.Kubeconfig);
            var log = Log(output, error, tools);
            if (parse.GetValue(unattended) || parse.GetValue(reboot))
            {
                return await UnattendedRestoreCommand.RunAsync(parse, options, unattended, reboot, tools, log, ct).ConfigureAwait(false);
            }

            return await CommandGuard.RunAsync(error, "restore", async () =>
            {
                try
                {
                    await new RestoreRunner(options, tools, log, TimeProvider.System).RunAsync(ct).ConfigureAwait(false);
                    return ExitCodes.Success;
                }
                catch (RestoreFailedException e)
                {
                    log.Error(e.Message);
                    return ExitCode(e);
                }
            }).ConfigureAwait(false);
        });
        return command;
    }

    internal static int ExitCode(RestoreFailedException e) => e.Kind switch
    {
        RestoreFailure.BadInput => ExitCodes.BadInput,
        RestoreFailure.StageFailed => ExitCodes.RestoreStageFailed,
        _ => ExitCodes.RestoreRefused,
    };

    private static async Task<int> DryRunAsync(string hostRoot, string backupDir, string? generation, string? endpoint, TextWriter output, TextWriter error, CancellationToken ct)
    {
        EtcdConnection? etcd = null;
        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || EtcdConnectionCheck.Problem(etcd = new EtcdConnection { Endpoint = uri }) is not null)
            {
                await error.WriteLineAsync($"talm: --etcd-endpoint '{endpoint}' is not an http:// or https:// URL; use e.g. https://localhost:2379").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }
        }

        return await CommandGuard.RunAsync(error, "restore --dry-run", async () =>
        {
            RestorePreview preview;
            try
            {
                preview = await RestoreDryRun.RunAsync(new RestoreDryRunOptions { HostRoot = hostRoot, BackupDir = backupDir, Generation = generation, Etcd = etcd }, ct).ConfigureAwait(false);
            }
            catch (RestoreFailedException e)
            {
                await error.WriteLineAsync("talm: " + CommandGuard.OneLine(e.Message)).ConfigureAwait(false);
                return e.Kind == RestoreFailure.BadInput ? ExitCodes.BadInput : ExitCodes.RestoreRefused;
            }

            await output.WriteAsync(RestorePreviewText.Render(preview)).ConfigureAwait(false);
            return preview.Refusals.Count > 0 ? ExitCodes.RestoreRefused : ExitCodes.Success;
        }).ConfigureAwait(false);
    }

    private static Command CreateRollback()
    {
        var command = new Command("rollback", "Make the pinned (pre-upgrade) ostree deployment the default so the next boot runs the pre-upgrade OS; without rpm-ostree through libostree.");
        var hostRoot = HostRootOption();
        var reboot = new Option<bool>("--reboot") { Description = "Reboot right after switching the default" };
        command.Options.Add(hostRoot);
        command.Options.Add(reboot);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var root = Path.GetFullPath(parse.GetValue(hostRoot)!);
            var tools = Tools(Environment.GetEnvironmentVariable("KUBECONFIG"));
            var log = Log(output, error, tools);

            var useRpmOstree = PlatformRollback.UsesRpmOstree(root, tools);
            return await CommandGuard.RunAsync(error, "rollback", async () =>
            {
                try
                {
                    var plan = await new PlatformRollback(tools, log).RunAsync(root, useRpmOstree, parse.GetValue(reboot), ct).ConfigureAwait(false);
                    if (plan.Action is RollbackAction.MakeDefault or RollbackAction.UndeployThenMakeDefault && !parse.GetValue(reboot))
                    {
                        log.Info($"The pinned deployment {plan.Pinned!.Id} ({plan.Pinned.Version ?? "no version"}) boots next. Reboot with 'systemctl reboot', then run upgrade-recovery.sh");
                    }

                    return ExitCodes.Success;
                }
                catch (Exception e) when (e is RollbackRefusedException or OstreeException or NodeToolException or IOException)
                {
                    log.Error(e.Message);
                    return ExitCodes.RollbackFailed;
                }
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateStatus()
    {
        var command = new Command("status", "Show the backup (when, size, OS version, etcd revision, whether it verifies), every restore point kept, the ostree state with the rollback it calls for, and the restore stage reached.");
        var hostRoot = HostRootOption();
        var dir = DirOption();
        var format = new Option<string>("--output", "-o") { Description = "text or json", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var noVerify = new Option<bool>("--no-verify") { Description = "Skip re-hashing the backup (fast; 'verified' is then unknown)" };
        var verifyAll = new Option<bool>("--verify-all") { Description = "Re-hash every restore point, not only the current backup (each takes as long as the current one); exit 1 if any does not verify" };
        foreach (var option in (Option[])[hostRoot, dir, format, noVerify, verifyAll])
        {
            command.Options.Add(option);
        }

        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            return await CommandGuard.RunAsync(parse.InvocationConfiguration.Error, "status", async () =>
            {
                var status = await StatusCollector.CollectAsync(
                    Path.GetFullPath(parse.GetValue(hostRoot)!), Path.GetFullPath(parse.GetValue(dir)!), !parse.GetValue(noVerify), Environment.ProcessorCount * 2, ct, parse.GetValue(verifyAll)).ConfigureAwait(false);
                if (parse.GetValue(format) == "json")
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(status, StatusJsonContext.Default.RecoveryStatus)).ConfigureAwait(false);
                }
                else
                {
                    await output.WriteAsync(StatusText.Render(status)).ConfigureAwait(false);
                }

                return status.Backup.Present && status.Backup.Verified != false && status.Backup.RestorePoints.All(p => p.Verified != false) ? ExitCodes.Success : ExitCodes.NotIntact;
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary><c>--generation ID</c>: a restore point (restore, its dry run, verify).</summary>
    internal static Option<string?> GenerationOption(string description) => new("--generation") { Description = description, HelpName = "ID" };

    private static NodeToolRunner Tools(string? kubeconfig)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(kubeconfig))
        {
            env["KUBECONFIG"] = kubeconfig;
        }

        return new NodeToolRunner(Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", env);
    }

    private static RecoveryLog Log(TextWriter output, TextWriter error, NodeToolRunner tools)
    {
        // The journal gets a copy when the node has one; in a container or a sandbox there is none. Under systemd
        // (the unattended restore's unit) the output goes to the journal already, with the same tag.
        var journal = !ErrorsGoToJournal() && File.Exists("/run/systemd/journal/socket") ? tools.Find("logger") : null;
        return new RecoveryLog(output, error, journal, TimeProvider.System);
    }

    /// <summary>systemd's JOURNAL_STREAM (<c>device:inode</c>) names our stderr's socket when a unit's output goes to the journal; children inherit it, so it is compared.</summary>
    private static bool ErrorsGoToJournal()
    {
        var stream = Environment.GetEnvironmentVariable("JOURNAL_STREAM");
        if (string.IsNullOrEmpty(stream) || stream.Split(':') is not [_, var inode])
        {
            return false;
        }

        try
        {
            return new FileInfo("/proc/self/fd/2").LinkTarget == $"socket:[{inode}]";
        }
        catch (IOException)
        {
            return false;
        }
    }
}
