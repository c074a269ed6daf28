using System.Collections;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Talm.Conformance.Kuttl;
using Talm.Conformance.Overrides;
using Talm.Conformance.Report;
using Talm.Conformance.UpdateGraph;

namespace Talm.Conformance.Run;

/// <summary>
/// A whole run: reads the reference's suite and scenarios, applies our overrides, then runs each scenario on a
/// fresh hub (or all of them in order on one, as kuttl does), printing one line per scenario and a total.
/// </summary>
public sealed partial class ConformanceRun(ConformanceOptions options, IAnsiConsole console, TimeProvider time)
{
    public const string SuiteFileName = "kuttl-test.yaml";
    public const string AcmCrdDir = "deploy/acm/crds";

    /// <summary>0: all passed; 1: some failed; 2: the run could not start.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        Plan plan;
        try
        {
            plan = Prepare();
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or FormatException)
        {
            console.MarkupLineInterpolated($"[red]conformance: {e.Message}[/]");
            return 2;
        }

        var graphLog = TextWriter.Synchronized(new StreamWriter(Path.Combine(plan.RunDir, "update-graph.log"), append: true) { AutoFlush = true });
        int exit;
        using (var ca = RunCertificateAuthority.Create(time))
        await using (var graph = UpdateGraphStandIn.Start(plan.Graph, ca, time, graphLog))
        {
            var bundle = Path.Combine(plan.RunDir, "update-graph-ca.pem");
            ca.WriteTrustBundle(bundle, RunCertificateAuthority.FindSystemBundle());
            var network = NetworkEnvironment(graph.ProxyUri, bundle);
            plan = plan with { Hub = plan.Hub with { NetworkEnvironment = network } };
            exit = await RunPlanAsync(plan, network, ct);
        }
        await graphLog.DisposeAsync();
        if (exit == 0 && !options.KeepLogs) TryDelete(plan.RunDir);
        return exit;
    }

    /// <summary>
    /// The operator reaches the update graph as on a hub behind a proxy: HTTPS_PROXY (the stand-in), NO_PROXY for the
    /// lab's API server on loopback, and the system's roots plus the run's CA. The lower-case twins are set too,
    /// since .NET reads those first and one inherited from the caller's shell would win.
    /// </summary>
    private static Dictionary<string, string> NetworkEnvironment(Uri proxy, string bundle)
    {
        var proxyUrl = proxy.ToString().TrimEnd('/');
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HTTPS_PROXY"] = proxyUrl,
            ["https_proxy"] = proxyUrl,
            ["NO_PROXY"] = "127.0.0.1,localhost",
            ["no_proxy"] = "127.0.0.1,localhost",
            ["SSL_CERT_FILE"] = bundle,
        };
    }

    private async Task<int> RunPlanAsync(Plan plan, IReadOnlyDictionary<string, string> network, CancellationToken ct)
    {
        var start = time.GetTimestamp();
        console.WriteLine($"conformance: {plan.Tests.Count} scenario(s) of {options.ReferenceDir}{(plan.Commit is null ? string.Empty : $" ({plan.Commit})")}, " +
                          $"{(options.SharedHub ? "one shared hub" : "a fresh hub each")}, step timeout {plan.Steps.StepTimeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
        console.WriteLine($"  operator environment: {string.Join(' ', plan.Hub.OperatorEnvironment.Select(e => $"{e.Key}={e.Value}"))}");
        var versions = plan.Graph.VersionCount;
        console.WriteLine($"  update graph: stand-in for {plan.Graph.Host}, {versions} version{(versions == 1 ? string.Empty : "s")} ({GraphFile}); " +
                          string.Join(' ', ((string[])["HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE"]).Select(k => $"{k}={network[k]}")));
        foreach (var w in plan.Warnings) console.MarkupLineInterpolated($"  [yellow]warning: {w}[/]");
        console.WriteLine($"  logs: {plan.RunDir}");

        List<ScenarioResult> results;
        try
        {
            results = options.SharedHub
                ? await RunSharedAsync(plan, ct)
                : await RunFreshAsync(plan, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The hubs have been stopped on the way out; their logs stay.
            console.MarkupLineInterpolated($"[yellow]interrupted; logs: {plan.RunDir}[/]");
            return 130;
        }

        var passed = results.Count(r => r.Passed);
        var elapsed = time.GetElapsedTime(start);
        console.MarkupLineInterpolated($"[{(passed == results.Count ? "green" : "red")}]{passed}/{results.Count} passed[/] in {Duration(elapsed)}");
        if (options.ReportFile is { } reportFile)
        {
            var report = new RunReport
            {
                Reference = Path.GetFullPath(options.ReferenceDir),
                ReferenceCommit = plan.Commit,
                Hub = options.SharedHub ? "shared" : "fresh",
                Passed = passed,
                Total = results.Count,
                Seconds = Math.Round(elapsed.TotalSeconds, 1),
                Scenarios = results,
            };
            await File.WriteAllTextAsync(reportFile, report.ToJson() + "\n", ct);
            console.WriteLine($"report: {Path.GetFullPath(reportFile)}");
        }
        return passed == results.Count ? 0 : 1;
    }

    private sealed record Plan(
        TestSuite Suite,
        IReadOnlyList<TestCase> Tests,
        HubSettings Hub,
        StepSettings Steps,
        string RunDir,
        IReadOnlyDictionary<string, string> BaseEnvironment,
        IReadOnlyList<string> Warnings,
        string? Commit,
        UpdateGraphData Graph);

    /// <summary>What the update-graph stand-in answers, in our repository.</summary>
    public const string GraphFile = "conformance/update-graph.json";

    private Plan Prepare()
    {
        var reference = Path.GetFullPath(options.ReferenceDir);
        var suiteFile = Path.Combine(reference, SuiteFileName);
        if (!File.Exists(suiteFile))
            throw new FileNotFoundException($"{suiteFile} is missing: --reference must be a checkout of openshift-kni/cluster-group-upgrades-operator");
        var suite = TestSuite.Load(suiteFile);
        var warnings = new List<string>();

        var all = new List<TestCase>();
        foreach (var testDir in options.TestDirs)
        {
            var dir = Path.Combine(reference, testDir);
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir} does not exist in the reference");
            if (!suite.TestDirs.Any(t => SamePath(Path.Combine(reference, t), dir)))
                warnings.Add($"{testDir} is not one of the suite's testDirs ({string.Join(", ", suite.TestDirs)})");
            all.AddRange(Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).Select(d => TestCase.Load(d, suite.IgnoreFiles)));
        }

        var overrides = options.NoOverrides ? OverrideSet.Empty : LoadOverrides();
        var stale = overrides.Entries.Where(e => all.All(t => t.Name != e.Scenario))
            .Select(e => $"override {e.Name}: the reference has no scenario {e.Scenario}").ToList();

        var unknown = options.Only.Where(o => all.All(t => t.Name != o)).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"no scenario named {string.Join(", ", unknown)}; the reference has: {string.Join(' ', all.Select(t => t.Name))}");
        var selected = options.Only.Count == 0 ? all : all.Where(t => options.Only.Contains(t.Name)).ToList();
        var ns = suite.Namespace.Length > 0 ? suite.Namespace : "default";
        selected = selected.Select(t => overrides.Apply(t, ns, stale)).ToList();
        if (stale.Count > 0)
            throw new InvalidDataException($"{string.Join("; ", stale)} (conformance/overrides/index.yaml; has the reference changed? --no-overrides runs without them)");

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var kubectl = CommandRunner.Resolve("kubectl", reference, path)
            ?? throw new InvalidOperationException("kubectl is not on PATH; the scenarios and kubectl proxy need the stock kubectl");

        var runDir = Path.GetFullPath(options.LogsDir ?? Path.Combine(options.RepoDir, "artifacts", "conformance",
            time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        Directory.CreateDirectory(runDir);
        var bin = Path.Combine(runDir, "bin");
        WriteOcShim(bin, kubectl);

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? string.Empty;
        // kuttl puts <its folder>/bin first; then our oc.
        env["PATH"] = $"{Path.Combine(reference, "bin")}/:{bin}:{path}";

        var acmDir = Path.Combine(reference, AcmCrdDir);
        if (!Directory.Exists(acmDir)) throw new DirectoryNotFoundException($"{acmDir} is missing in the reference");
        var ourCrds = Path.Combine(options.RepoDir, "deploy", "crds");
        var crdFiles = Directory.GetFiles(ourCrds, "*.yaml").Order(StringComparer.Ordinal)
            .Concat(Directory.GetFiles(acmDir, "*.yaml").Order(StringComparer.Ordinal)).ToList();

        var talmDll = Path.GetFullPath(options.TalmDll ?? Path.Combine(options.RepoDir, "artifacts", "cli", "talm.dll"));
        if (!File.Exists(talmDll)) throw new FileNotFoundException($"{talmDll} is missing; build the CLI first (scripts/conformance.sh does)");
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

        var stepTimeout = options.StepTimeoutSeconds ?? suite.Timeout;
        return new Plan(
            suite,
            selected,
            new HubSettings
            {
                TalmProgram = dotnet,
                TalmPrefix = [talmDll],
                Kubectl = kubectl,
                CrdFiles = crdFiles,
                OperatorEnvironment = ReferenceEnvironment.Read(reference),
            },
            new StepSettings
            {
                Namespace = ns,
                CommandTimeout = suite.Timeout,
                StepTimeout = TimeSpan.FromSeconds(stepTimeout),
                PollInterval = options.PollInterval,
                SkipDelete = suite.SkipDelete,
            },
            runDir,
            env,
            warnings,
            GitCommit(reference),
            UpdateGraphData.Load(Path.Combine(options.RepoDir, GraphFile)));
    }

    private OverrideSet LoadOverrides()
    {
        var dir = Path.Combine(options.RepoDir, "conformance", "overrides");
        return Directory.Exists(dir) ? OverrideSet.Load(dir) : OverrideSet.Empty;
    }

    private TextWriter OpenLog(string file)
    {
        var writer = new StreamWriter(file, append: true) { AutoFlush = true };
        return TextWriter.Synchronized(options.Verbose ? new TeeWriter(writer, Console.Out) : writer);
    }

    private static ScenarioResult ToResult(TestCase test, TestOutcome outcome, string dir) => new()
    {
        Scenario = test.Name,
        Passed = outcome.Passed,
        Seconds = Math.Round(outcome.Duration.TotalSeconds, 1),
        FailingStep = outcome.FailingStep,
        Difference = outcome.Difference,
        Overrides = Overrides(test),
        Logs = outcome.Passed ? null : dir,
    };

    private static ScenarioResult Failed(TestCase test, string step, string difference, TimeSpan duration, string dir) => new()
    {
        Scenario = test.Name,
        Passed = false,
        Seconds = Math.Round(duration.TotalSeconds, 1),
        FailingStep = step,
        Difference = difference,
        Overrides = Overrides(test),
        Logs = dir,
    };

    private static IReadOnlyList<string> Overrides(TestCase test) => test.Steps.SelectMany(s => s.Overrides).ToList();

    private void Print(ScenarioResult r)
    {
        var name = r.Scenario.PadRight(44);
        var seconds = $"{r.Seconds.ToString("0.0", CultureInfo.InvariantCulture),6} s";
        var overrides = r.Overrides.Count > 0 ? $" (override: {string.Join(", ", r.Overrides)})" : string.Empty;
        if (r.Passed)
        {
            console.MarkupLineInterpolated($"[green]pass[/]  {name} {seconds}{overrides}");
            return;
        }
        console.MarkupLineInterpolated($"[red]FAIL[/]  {name} {seconds}{overrides}  step {r.FailingStep}: {r.Difference}");
        if (r.Logs is not null) console.WriteLine($"      logs: {r.Logs}");
    }

    private static string Duration(TimeSpan t) =>
        t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";

    private static void WriteOcShim(string bin, string kubectl)
    {
        Directory.CreateDirectory(bin);
        var oc = Path.Combine(bin, "oc");
        File.WriteAllText(oc, $"#!/bin/sh\n# oc for the reference's scenarios: the conformance runner forwards it to the stock kubectl.\nexec '{kubectl.Replace("'", "'\\''", StringComparison.Ordinal)}' \"$@\"\n");
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the reference's scenarios run bash scripts");
        File.SetUnixFileMode(oc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                 UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    private static void StopAll(List<Process> processes)
    {
        foreach (var p in processes)
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string? GitCommit(string dir)
    {
        try
        {
            var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in (string[])["-C", dir, "rev-parse", "--short", "HEAD"]) info.ArgumentList.Add(a);
            using var git = Process.Start(info);
            if (git is null) return null;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
