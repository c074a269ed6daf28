using System.CommandLine;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Talm.Api.Agent;
using Talm.Api.Build;
using Talm.Api.Rhacm;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Processes;
using Talm.Recovery.Verify;

namespace Talm.Cli.Commands;

/// <summary><c>talm recovery backup</c> (alias and top-level <c>launchBackup</c>) and <c>talm recovery verify</c>.</summary>
public static class SpokeBackupCommands
{
    public const string LaunchBackup = "launchBackup";

    public static void Register(Command recovery, RootCommand root, string program)
    {
        ArgumentNullException.ThrowIfNull(recovery);
        ArgumentNullException.ThrowIfNull(root);
        var backup = CreateBackup("backup", "/", program, "Take a complete, verified backup of this node before an upgrade (etcd, static pod resources, /etc, /usr/local, /var/lib/kubelet, extras); pins the ostree deployment.", inJob: false);
        recovery.Subcommands.Add(backup);
        // The hub's backup Job runs the agent with `args: [launchBackup]` and the host mounted at /host.
        root.Subcommands.Add(CreateBackup(LaunchBackup, BackupLayout.JobHostRoot, program,
            "The backup Job's entry point: `talm recovery backup` in the Job's pod, with the node at /host (its hostPath volumes), the backup in /host/var/recovery and plain log lines.", inJob: true));
        recovery.Subcommands.Add(CreateVerify());
    }

    private static Command CreateBackup(string name, string defaultHostRoot, string program, string description, bool inJob)
    {
        var command = new Command(name, description);
        var hostRoot = new Option<string>("--host-root") { Description = $"Where the host's filesystem is mounted (default {defaultHostRoot})", DefaultValueFactory = _ => defaultHostRoot };
        var dir = new Option<string?>("--dir")
        {
            Description = inJob
                ? "Backup directory (default <host-root>/var/recovery: the node's /var/recovery, the Job's host-var-recovery volume)"
                : "Backup directory (default /var/recovery)",
        };
        var endpoint = new Option<string?>("--etcd-endpoint") { Description = "etcd client URL (default: from the host's etcd static pod)" };
        var caCert = new Option<string?>("--etcd-cacert") { Description = "CA bundle for etcd's serving certificate" };
        var cert = new Option<string?>("--etcd-cert") { Description = "etcd client certificate" };
        var key = new Option<string?>("--etcd-key") { Description = "etcd client key" };
        var images = new Option<bool>("--images") { Description = "Also save the container images in use into images/ (OCI layout)" };
        var margin = new Option<string>("--space-margin") { Description = "Free space required beyond the estimate (default 10GiB)", DefaultValueFactory = _ => "10GiB" };
        var replace = new Option<bool>("--replace-existing") { Description = "If old and new backups do not both fit, drop the old ones first (older restore points oldest first, then the current backup) instead of failing" };
        var keep = new Option<int?>("--keep")
        {
            Description = "Restore points to keep, the new backup included (default: the N last given for this directory, else 1). The newest N backups stay restorable " +
                          "('restore --generation ID'); files unchanged between them are hard links, so an older one costs only what changed since. " +
                          "Remembered in <dir>/keep, so later backups (the hub's Job among them) keep as many; lowering it removes the oldest beyond N at the next backup",
            HelpName = "N",
        };
        var parallelism = new Option<int>("--parallelism") { Description = "Small files copied at once (default 16)", DefaultValueFactory = _ => 16 };
        var largeParallelism = new Option<int>("--large-file-parallelism") { Description = "Large files (4 MiB and more) streamed at once, beside the small ones (default 4)", DefaultValueFactory = _ => 4 };
        var lateWriteback = new Option<bool>("--late-writeback") { Description = "Leave all writeback to the final syncfs instead of starting it file by file", Hidden = true };
        var cached = new Option<bool>("--cached-writes") { Description = "Write large files through the page cache instead of O_DIRECT", Hidden = true };
        var smallWriteback = new Option<bool>("--small-file-writeback") { Description = "Also start writeback of each small file as it is written (default: the final syncfs writes them together)", Hidden = true };
        var verbose = new Option<bool>("--verbose") { Description = "Also log debug details, among them the time each phase took (scan, pin, copy, etcd snapshot, sync, commit...)" };
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Pre-flight, writing nothing: space needed against free (with the margin) and the partition, etcd reachable with the endpoint and certificates found, " +
                          "the previous backup verifies, the deployment can be pinned; one line per check; exit 1 space, 3 etcd, 6 previous backup, 7 pin, 8 a restore under way (the first that fails)",
        };
        foreach (var option in (Option[])[hostRoot, dir, endpoint, caCert, cert, key, images, margin, replace, keep, parallelism, largeParallelism, lateWriteback, cached, smallWriteback, verbose, dryRun])
        {
            command.Options.Add(option);
        }

        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;

            // Everything given is checked before anything is touched: bad input is one line and exit 2.
            async Task<int> BadInput(string message)
            {
                await error.WriteLineAsync("talm: " + message).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            if (!SizeParser.TryParse(parse.GetValue(margin)!, out var marginBytes))
            {
                return await BadInput($"--space-margin '{parse.GetValue(margin)}' is not a size up to 8 EiB; use e.g. 10GiB, 500MiB or 0").ConfigureAwait(false);
            }

            if (parse.GetValue(keep) is < 1 and var badKeep)
            {
                return await BadInput($"--keep {badKeep} is not a number of restore points; give 1 (only the current backup, the default) or more").ConfigureAwait(false);
            }

            var root = parse.GetValue(hostRoot)!;
            if (!Directory.Exists(root))
            {
                return await BadInput($"--host-root {root} is not a directory; give the directory where the host's / is mounted (default {defaultHostRoot})").ConfigureAwait(false);
            }

            EtcdConnection? etcd = null;
            if (parse.GetValue(endpoint) is { } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
                {
                    return await BadInput($"--etcd-endpoint '{url}' is not an http:// or https:// URL; use e.g. https://localhost:2379").ConfigureAwait(false);
                }

                etcd = new EtcdConnection { Endpoint = uri, CaCertFile = parse.GetValue(caCert), CertFile = parse.GetValue(cert), KeyFile = parse.GetValue(key) };
                if (EtcdConnectionCheck.Problem(etcd) is { } problem)
                {
                    return await BadInput(problem + " (--etcd-endpoint, --etcd-cacert, --etcd-cert, --etcd-key)").ConfigureAwait(false);
                }
            }

            var options = new BackupOptions
            {
                HostRoot = root,
                BackupDir = parse.GetValue(dir) ?? (inJob ? Path.Join(root, BackupLayout.DefaultBackupDir) : BackupLayout.DefaultBackupDir),
                HostRootFromVolumes = inJob,
                Etcd = etcd,
                Images = parse.GetValue(images),
                SpaceMargin = marginBytes,
                ReplaceExisting = parse.GetValue(replace),
                Keep = parse.GetValue(keep),
                Parallelism = Math.Max(1, parse.GetValue(parallelism)),
                LargeFileParallelism = Math.Max(1, parse.GetValue(largeParallelism)),
                EarlyWriteback = !parse.GetValue(lateWriteback),
                SmallFileWriteback = !parse.GetValue(lateWriteback) && parse.GetValue(smallWriteback),
                DirectWrites = !parse.GetValue(cached),
                Program = CurrentProgram(program),
                ToolVersion = ToolVersion(),
            };
            // A Job's log (`oc logs`) gets plain lines even though the Job allocates a TTY (`tty: true`).
            var plain = inJob || Console.IsOutputRedirected || Console.IsErrorRedirected || output != Console.Out;
            using var loggers = CliLogging.Create(error, parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information, plain);
            var logger = loggers.CreateLogger("talm.backup");
            if (parse.GetValue(dryRun))
            {
                return await CommandGuard.RunAsync(error, "backup --dry-run", () => PreflightAsync(options, logger, output, inJob, ct)).ConfigureAwait(false);
            }

            string Stamp() => plain ? DateTimeOffset.UtcNow.ToString(CliLogging.PlainTimestampFormat, System.Globalization.CultureInfo.InvariantCulture) : "";
            return await CommandGuard.RunAsync(error, "backup", async () =>
            {
                try
                {
                    var outcome = await RunWithProgressAsync(options, logger, output, plain, ct).ConfigureAwait(false);
                    if (inJob && outcome is { Status: BackupStatus.Completed, Manifest: not null })
                        await BackupSummaryPublisher.PublishAsync(BackupSummaryPublisher.Summarize(outcome), logger, ct).ConfigureAwait(false);
                    switch (outcome.Status)
                    {
                        case BackupStatus.InsufficientSpace:
                            await error.WriteLineAsync(Stamp() + outcome.Message).ConfigureAwait(false);
                            return ExitCodes.InsufficientSpace;
                        default:
                            await output.WriteLineAsync(Stamp() + outcome.Message).ConfigureAwait(false);
                            return ExitCodes.Success;
                    }
                }
                catch (Exception caught) when (CommandGuard.Unwrap(caught) is BackupException or EtcdException or ProcessFailedException or IOException or InvalidDataException or UnauthorizedAccessException
                                                   || (caught is OperationCanceledException && ct.IsCancellationRequested))
                {
                    var e = CommandGuard.Unwrap(caught);
                    var message = e is OperationCanceledException ? "interrupted; the last good backup is kept" : CommandGuard.OneLine(e.Message);
                    logger.LogError("Backup failed: {Error}", message);
                    loggers.Dispose();
                    await error.WriteLineAsync($"{Stamp()}talm: backup failed: {message}").ConfigureAwait(false);
                    return ExitCodes.BackupFailed;
                }
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> PreflightAsync(BackupOptions options, ILogger logger, TextWriter output, bool inJob, CancellationToken ct)
    {
        var findings = await new BackupRunner(options, new ProcessRunner(logger), logger, TimeProvider.System, NullProgressReporter.Instance).PreflightAsync(ct).ConfigureAwait(false);
        foreach (var finding in findings)
        {
            var name = finding.Check == PreflightCheck.Previous ? "previous backup" : PreflightReports.Name(finding.Check);
            await output.WriteLineAsync($"{(finding.Ok ? "ok  " : "FAIL")} {name}: {finding.Message}").ConfigureAwait(false);
        }

        var report = PreflightReports.From(findings, options.SpaceMargin, DateTimeOffset.UtcNow);
        await output.WriteLineAsync(report.Ok ? "pre-flight: the backup can run; nothing was written" : "pre-flight: the backup would not succeed as things are; nothing was written").ConfigureAwait(false);
        // In a hub's pre-flight Job (kubectl talm preflight) the findings go to the hub on the Job, as a backup's summary does.
        if (inJob)
            await JobAnnotations.PublishAsync(JobAnnotations.MergePatch(PreflightReport.Annotation, report.ToAnnotation()), "pre-flight report", SpokeNames.PreflightNamespace, SpokeNames.PreflightAgent, logger, ct).ConfigureAwait(false);
        return report.ExitCode;
    }

    private static async Task<BackupOutcome> RunWithProgressAsync(BackupOptions options, ILogger logger, TextWriter output, bool plain, CancellationToken ct)
    {
        var runner = new ProcessRunner(logger);
        if (plain)
        {
            var reporter = new PlainProgressReporter(output, TimeSpan.FromSeconds(5), TimeProvider.System);
            return await new BackupRunner(options, runner, logger, TimeProvider.System, reporter).RunAsync(ct).ConfigureAwait(false);
        }

        var terminal = new TerminalProgressReporter();
        BackupOutcome? outcome = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                terminal.Attach(context.AddTask("backup"));
                outcome = await new BackupRunner(options, runner, logger, TimeProvider.System, terminal).RunAsync(ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return outcome!;
    }

    private static Command CreateVerify()
    {
        var command = new Command("verify", "Re-hash every file of a backup against its manifest and check the etcd snapshot; exit 0 only if all is intact.");
        var dir = new Option<string>("--dir") { Description = "Backup directory (default /var/recovery)", DefaultValueFactory = _ => BackupLayout.DefaultBackupDir };
        var deep = new Option<bool>("--deep")
        {
            Description = "Also prove the etcd snapshot restores: restore it into a temporary directory (under TMPDIR) with the restore's etcdutl/etcdctl, " +
                          "start etcd on loopback against it and compare its revision and key count with the manifest; exit 3 if this machine cannot run the check",
        };
        var generation = RestoreCommands.GenerationOption("Verify this restore point (an ID 'talm recovery status' lists) instead of the current backup");
        command.Options.Add(dir);
        command.Options.Add(deep);
        command.Options.Add(generation);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var target = parse.GetValue(dir)!;
            if (parse.GetValue(generation) is { } id)
            {
                if (new BackupDirectory(target).FindRestorePoint(id) is not { } point)
                {
                    await error.WriteLineAsync("talm: " + new BackupDirectory(target).UnknownRestorePoint(id)).ConfigureAwait(false);
                    return ExitCodes.BadInput;
                }

                target = point.Root;
            }

            return await CommandGuard.RunAsync(error, "verify", async () =>
            {
                VerifyReport report;
                try
                {
                    report = await BackupVerifier.VerifyAsync(target, Environment.ProcessorCount * 2, null, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"talm: cannot read the backup in {parse.GetValue(dir)} ({CommandGuard.OneLine(e.Message)}); it cannot be called intact").ConfigureAwait(false);
                    return ExitCodes.NotIntact;
                }

                if (report.Intact)
                {
                    await output.WriteLineAsync($"backup {report.BackupRoot} is intact: {report.FilesChecked} files, {SpaceEstimate.Format(report.BytesChecked)} re-hashed, etcd snapshot trailer verified").ConfigureAwait(false);
                    return parse.GetValue(deep) ? await DeepVerifyAsync(report.BackupRoot, output, error, ct).ConfigureAwait(false) : ExitCodes.Success;
                }

                foreach (var problem in report.Problems)
                {
                    await output.WriteLineAsync(problem).ConfigureAwait(false);
                }

                await output.WriteLineAsync($"backup {report.BackupRoot} is NOT intact: {report.Problems.Count} problem(s); take a new backup before upgrading").ConfigureAwait(false);
                return ExitCodes.NotIntact;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> DeepVerifyAsync(string root, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var options = new EtcdRestoreCheckOptions { SearchPath = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
        var check = new EtcdRestoreCheck(options, line =>
        {
            lock (output)
            {
                output.WriteLine(line);
                output.Flush();
            }
        });
        // A temporary etcd must not outlive us: Ctrl+C and SIGTERM (kill, a Job's deletion) stop it and remove its directory first.
        using var stop = new StopSignals(ct);
        var result = await check.RunAsync(root, ManifestStore.Read(root), stop.Token).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case DeepCheckOutcome.Matches:
                await output.WriteLineAsync(result.Message).ConfigureAwait(false);
                return ExitCodes.Success;
            case DeepCheckOutcome.Differs:
                await output.WriteLineAsync(result.Message).ConfigureAwait(false);
                await output.WriteLineAsync($"backup {root} is NOT intact: its etcd snapshot does not restore to what the manifest records; take a new backup before upgrading").ConfigureAwait(false);
                return ExitCodes.NotIntact;
            default:
                await error.WriteLineAsync($"talm: verify --deep: cannot prove the etcd snapshot restores on this machine: {result.Message} (the files are intact, see above)").ConfigureAwait(false);
                return ExitCodes.DeepCheckImpossible;
        }
    }

    /// <summary>The running program, to be saved with the backup: the app directory under `dotnet PROGRAM.dll`, or a single executable.</summary>
    private static ProgramLocation CurrentProgram(string program)
    {
        var baseDir = AppContext.BaseDirectory.TrimEnd('/');
        if (File.Exists(Path.Combine(baseDir, program + ".dll")))
        {
            return new ProgramLocation(baseDir, program + ".dll");
        }

        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell where the running talm is");
        return new ProgramLocation(Path.GetDirectoryName(process)!, Path.GetFileName(process));
    }

    private static string ToolVersion() => BuildVersion.Current.Informational;
}
