using System.CommandLine;
using Spectre.Console;
using Talm.Conformance.Run;

namespace Talm.Conformance;

public static class Program
{
    public static async Task<int> Main(string[] args) => await BuildRoot().Parse(args).InvokeAsync().ConfigureAwait(false);

    public static RootCommand BuildRoot()
    {
        var reference = new Option<DirectoryInfo>("--reference")
        {
            Description = "A checkout (work tree) of openshift-kni/cluster-group-upgrades-operator",
            Required = true,
        };
        var only = new Option<string[]>("--only")
        {
            Description = "Run only these scenarios (folder names under the test directory)",
            AllowMultipleArgumentsPerToken = true,
        };
        var testDir = new Option<string[]>("--test-dir")
        {
            Description = "Test directories inside the reference, in order",
            DefaultValueFactory = _ => ["tests/kuttl/cgu/"],
            AllowMultipleArgumentsPerToken = true,
        };
        var shared = new Option<bool>("--shared-hub") { Description = "Run all scenarios in order on one hub, as kuttl does (default: a fresh hub each)" };
        var report = new Option<FileInfo?>("--report") { Description = "Write the results as JSON to this file" };
        var stepTimeout = new Option<int?>("--step-timeout")
        {
            Description = "Seconds a step's asserts and errors have to hold (default: the suite's timeout, 60 in the reference); commands keep the suite's",
        };
        var poll = new Option<double>("--poll-interval")
        {
            Description = "Seconds between two checks of a step (kuttl: 1)",
            DefaultValueFactory = _ => 1.0,
        };
        var logs = new Option<DirectoryInfo?>("--logs") { Description = "Where to keep the logs (default: artifacts/conformance/<time>)" };
        var keepLogs = new Option<bool>("--keep-logs") { Description = "Keep the logs of passed scenarios too (failed ones are always kept)" };
        var noOverrides = new Option<bool>("--no-overrides") { Description = "Ignore conformance/overrides: check every step exactly as the reference does" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print every step, command and command output as it runs" };
        var talm = new Option<FileInfo?>("--talm") { Description = "talm.dll to run (default: artifacts/cli/talm.dll, built by scripts/conformance.sh)" };
        var repo = new Option<DirectoryInfo?>("--repo") { Description = "Our repository (default: found from the runner's location)" };

        var root = new RootCommand(
            "Replays the reference's kuttl scenarios against talm lab serve + talm operator and prints one line per scenario.");
        foreach (var o in (Option[])[reference, only, testDir, shared, report, stepTimeout, poll, logs, keepLogs, noOverrides, verbose, talm, repo])
            root.Options.Add(o);
        root.SetAction(async (ParseResult p, CancellationToken ct) =>
        {
            var repoDir = p.GetValue(repo)?.FullName ?? FindRepo();
            if (repoDir is null)
            {
                await p.InvocationConfiguration.Error.WriteLineAsync("conformance: cannot find the repository (Talm.slnx); pass --repo");
                return 2;
            }
            if (p.GetValue(poll) is var interval && interval <= 0)
            {
                await p.InvocationConfiguration.Error.WriteLineAsync("conformance: --poll-interval must be positive");
                return 2;
            }
            if (p.GetValue(stepTimeout) is <= 0)
            {
                await p.InvocationConfiguration.Error.WriteLineAsync("conformance: --step-timeout must be positive");
                return 2;
            }
            var options = new ConformanceOptions
            {
                ReferenceDir = p.GetValue(reference)!.FullName,
                RepoDir = repoDir,
                TestDirs = p.GetValue(testDir) ?? [],
                Only = p.GetValue(only) ?? [],
                SharedHub = p.GetValue(shared),
                ReportFile = p.GetValue(report)?.FullName,
                StepTimeoutSeconds = p.GetValue(stepTimeout),
                PollInterval = TimeSpan.FromSeconds(p.GetValue(poll)),
                LogsDir = p.GetValue(logs)?.FullName,
                KeepLogs = p.GetValue(keepLogs),
                NoOverrides = p.GetValue(noOverrides),
                Verbose = p.GetValue(verbose),
                TalmDll = p.GetValue(talm)?.FullName,
            };
            var console = AnsiConsole.Console;
            // Piped into a file or CI log: one scenario per line, never wrapped at 80 columns.
            if (Console.IsOutputRedirected) console.Profile.Width = 100_000;
            return await new ConformanceRun(options, console, TimeProvider.System).RunAsync(ct);
        });
        return root;
    }

    private static string? FindRepo()
    {
        foreach (var start in (string[])[AppContext.BaseDirectory, Directory.GetCurrentDirectory()])
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) return dir.FullName;
        }
        return null;
    }
}
