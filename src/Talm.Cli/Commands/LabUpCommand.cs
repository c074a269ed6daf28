using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Talm.Lab.Run;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;
using Talm.Lab.View;

namespace Talm.Cli.Commands;

/// <summary><c>talm lab up</c>: the whole story on one machine: a fleet upgrade with backups, failures and recovery.</summary>
public static class LabUpCommand
{
    public static Command Build()
    {
        var spokes = new Option<int>("--spokes") { Description = "Number of simulated single-node clusters (cnfdb1..cnfdbN)", DefaultValueFactory = _ => 6 };
        var fidelity = new Option<Fidelity>("--fidelity")
        {
            Description = "full: each spoke is a sandbox host with real etcd, ostree and the real backup agent; fast: a timing model (for thousands of spokes)",
            DefaultValueFactory = _ => Fidelity.Full,
        };
        var failBackup = Names("--fail-backup", "Spokes whose backup fails (default: cnfdb2, as in the documentation's example; give the option alone for none)");
        var slowBackup = Names("--slow-backup", "Spokes whose backup takes much longer");
        var unreachable = Names("--unreachable", "Spokes the hub cannot reach (their backup ends in BackupTimeout after the hub limit)");
        var failUpgrade = Names("--fail-upgrade", "Spokes whose upgrade breaks them instead (recover them with 'talm lab recover NAME')");
        var maxConcurrency = new Option<int>("--max-concurrency") { Description = "remediationStrategy.maxConcurrency of the default CGU", DefaultValueFactory = _ => 2 };
        var timeout = new Option<int?>("--timeout") { Description = "remediationStrategy.timeout (minutes) of the default CGU; default 240, or 3 with --fail-upgrade so the run ends" };
        var disabled = new Option<bool>("--disabled")
        {
            Description = "Create the default CGU with enable: false: pre-caching runs, the upgrade waits; the lab prints how to run kubectl talm preflight on it, then enable it",
        };
        var cgu = new Option<FileInfo?>("--cgu") { Description = "Use this ClusterGroupUpgrade (YAML or JSON) instead of the default one" };
        var keep = new Option<bool>("--keep") { Description = "Leave the hub, operator and spokes running afterwards (for kubectl and recovery); Ctrl-C stops" };
        var report = new Option<FileInfo?>("--report") { Description = "Write the outcome as JSON to this file" };
        var operatorMode = new Option<OperatorMode>("--operator")
        {
            Description = "inproc: the hub operator runs inside the lab's process; process: as 'talm operator' in its own process (log in operator.log of --dir), as on a real hub",
            DefaultValueFactory = _ => OperatorMode.Inproc,
        };
        var dir = new Option<DirectoryInfo>("--dir")
        {
            Description = "Where the lab keeps its state (hub data, spoke hosts, kubeconfig)",
            DefaultValueFactory = _ => new DirectoryInfo(LabPaths.DefaultDir),
        };
        var command = new Command("up", "Start a lab hub with simulated RHACM and spokes, run a CGU with backups across them, and show it live");
        foreach (var o in new Option[] { spokes, fidelity, failBackup, slowBackup, unreachable, failUpgrade, maxConcurrency, timeout, disabled, cgu, keep, report, operatorMode, dir })
            command.Options.Add(o);

        command.SetAction(async (ParseResult p, CancellationToken ct) =>
        {
            var failBackupResult = p.GetResult(failBackup);
            var failUpgrades = p.GetValue(failUpgrade) ?? [];
            var options = new LabOptions
            {
                Spokes = p.GetValue(spokes),
                Fidelity = p.GetValue(fidelity),
                FailBackup = failBackupResult is null || failBackupResult.Implicit ? ["cnfdb2"] : p.GetValue(failBackup) ?? [],
                SlowBackup = p.GetValue(slowBackup) ?? [],
                Unreachable = p.GetValue(unreachable) ?? [],
                FailUpgrade = failUpgrades,
                MaxConcurrency = p.GetValue(maxConcurrency),
                TimeoutMinutes = p.GetValue(timeout) ?? (failUpgrades.Length > 0 ? 3 : 240),
                Disabled = p.GetValue(disabled),
                CguDocument = p.GetValue(cgu) is { } file ? await File.ReadAllTextAsync(file.FullName, ct) : null,
                Keep = p.GetValue(keep),
                ReportPath = p.GetValue(report)?.FullName,
                WorkDir = p.GetValue(dir)!.FullName,
            };
            var output = p.InvocationConfiguration.Output;
            return await RunAsync(options, output, interactive: ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected, ct, p.GetValue(operatorMode));
        });
        return command;
    }

    private static Option<string[]> Names(string name, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = true,
    };

    public static async Task<int> RunAsync(LabOptions options, TextWriter output, bool interactive, CancellationToken ct, OperatorMode operatorMode = OperatorMode.Inproc)
    {
        var unknown = options.FailBackup.Concat(options.SlowBackup).Concat(options.Unreachable).Concat(options.FailUpgrade)
            .Where(n => !options.SpokeNames.Contains(n)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            await output.WriteLineAsync($"talm lab up: no spoke named {string.Join(", ", unknown)}; spokes are cnfdb1..cnfdb{options.Spokes} (use --spokes to have more)");
            return 2;
        }
        if (Directory.Exists(Path.Combine(options.WorkDir, "hub")))
            await LabDirectory.ClearAsync(options.WorkDir, ct);

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var log = loggers.CreateLogger("lab");
        ILabView view = interactive ? new LiveLabView(AnsiConsole.Console) : new PlainLabView(output);
        LabResult? result = null;
        string? stopped = null;
        await using (view)
        {
            var backend = new EmbeddedBackend(LabPaths.CrdFiles(), loggers,
                operatorMode == OperatorMode.Process ? LabPaths.OperatorProcess() : null);
            var spokes = new LabSpokeFactory(options, TimeProvider.System, log, LabPaths.TalmSettings());
            var runner = new LabRunner(backend, spokes.CreateAsync, view, TimeProvider.System, log);
            try
            {
                result = await runner.RunAsync(options, ct);
            }
            catch (OperatorStoppedException e)
            {
                stopped = e.Message;
            }
        }
        if (result is null)
        {
            await output.WriteLineAsync($"talm lab up: {stopped}");
            return 1;
        }
        await output.WriteLineAsync(LabSummary.Render(result));
        if (options.ReportPath is not null)
        {
            await File.WriteAllTextAsync(options.ReportPath, JsonSerializer.Serialize(LabReport.From(result), LabReport.JsonOptions), ct);
            await output.WriteLineAsync($"Report written to {options.ReportPath}");
        }
        return result.Finished ? 0 : 1;
    }
}
