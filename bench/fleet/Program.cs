using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Lab.Run;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;
using Talm.Lab.View;

namespace Talm.Bench.Fleet;

/// <summary>
/// The hub at fleet scale: the lab with fast-fidelity spokes answering instantly, a CGU with
/// backup: true and maxConcurrency 500, for 3,500 and 10,000 clusters. Each size runs in its own
/// process, and the operator in a process of its own (talm operator), so that its CPU time and peak
/// memory are measured apart from the API server and the simulated RHACM. Its writes are counted
/// by the API server for its User-Agent. The 3,500 run is the baseline of the 10,000 one.
/// </summary>
public static class Program
{
    private const int MaxConcurrency = 500;

    /// <summary>resources.limits.memory of deploy/operator/deployment.yaml, in MiB.</summary>
    private const int DeploymentMemoryLimitMib = 512;

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--one", var n, var dir, var mode, var limit])
        {
            return await RunOne(int.Parse(n, CultureInfo.InvariantCulture), dir, Enum.Parse<OperatorMode>(mode, ignoreCase: true),
                int.Parse(limit, CultureInfo.InvariantCulture));
        }

        var operatorMode = OperatorMode.Process;
        var memoryLimitMib = DeploymentMemoryLimitMib;
        while (args is [var flag, var value, .. var rest] && flag.StartsWith("--", StringComparison.Ordinal))
        {
            if (flag == "--operator") operatorMode = Enum.Parse<OperatorMode>(value, ignoreCase: true);
            else if (flag == "--memory-limit") memoryLimitMib = int.Parse(value, CultureInfo.InvariantCulture);
            else throw new ArgumentException($"unknown option {flag}; see bench/fleet/README.md");
            args = rest;
        }
        var sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [3500, 10000];
        var results = new List<Measurement>();
        foreach (var size in sizes)
        {
            Console.WriteLine($"== {size} spokes, maxConcurrency {MaxConcurrency}, instant spokes, operator {operatorMode.ToString().ToLowerInvariant()}");
            var m = await Child(size, operatorMode, memoryLimitMib);
            if (m is null) return 1;
            results.Add(m);
            Print(m);
        }
        if (results.Count >= 2)
        {
            var (a, b) = (results[0], results[^1]);
            var scale = (double)b.Spokes / a.Spokes;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"== {b.Spokes} vs {a.Spokes} (baseline): clusters x{scale:F2}; rollout time x{b.RolloutSeconds / a.RolloutSeconds:F2} " +
                $"(linear would be x{scale:F2}); operator writes/cluster x{b.OperatorWritesPerCluster / a.OperatorWritesPerCluster:F2}; " +
                $"backup-phase writes/cluster x{b.BackupWritesPerCluster / a.BackupWritesPerCluster:F2}; " +
                $"operator CPU x{b.OperatorCpuSeconds / a.OperatorCpuSeconds:F2}; operator peak RSS x{(double)b.OperatorPeakBytes / a.OperatorPeakBytes:F2}; " +
                $"lab process peak x{(double)b.LabPeakBytes / a.LabPeakBytes:F2}"));
        }
        var last = results[^1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Targets at {last.Spokes}: backup-phase writes/cluster {last.BackupWritesPerCluster:F1} (target <= 12, reference ~20); " +
            $"view-to-status max {last.ViewToStatusMaxSeconds:F2}s (target <= 2s); operator peak RSS {Mib(last.OperatorPeakBytes)} = {last.OperatorPeakBytes / 1e6:F0} MB (target < 500 MB)"));
        return 0;
    }

    private static string Mib(long bytes) => bytes <= 0 ? "n/a" : $"{bytes / (1024 * 1024)} MiB";

    private static void Print(Measurement m)
    {
        var i = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(i, $"  finished={m.Finished} upgraded={m.Upgraded}/{m.Spokes} set-up {m.SetUpSeconds:F1}s, enable->completion {m.RolloutSeconds:F1}s"));
        Console.WriteLine(string.Create(i, $"  operator writes (counted by the API server for talm-operator/*): {m.OperatorWritesPerCluster:F1}/cluster ({m.BackupWritesPerCluster:F1} on actions+views = backup phase), {m.OperatorDeletesPerCluster:F1} deletes/cluster, {m.OperatorReads} reads in all"));
        Console.WriteLine(string.Create(i, $"  view-to-status latency: p50 {m.ViewToStatusP50Seconds:F3}s, p99 {m.ViewToStatusP99Seconds:F3}s, max {m.ViewToStatusMaxSeconds:F3}s over {m.Samples} clusters"));
        if (m.OperatorMode == "process")
        {
            Console.WriteLine(string.Create(i, $"  operator process: CPU {m.OperatorCpuSeconds:F1}s, peak RSS (VmHWM) {Mib(m.OperatorPeakBytes)}"));
            Console.WriteLine(string.Create(i, $"  lab process (API server + simulated RHACM): CPU {m.LabCpuSeconds:F1}s, peak working set {Mib(m.LabPeakBytes)}, GC heap peak {Mib(m.LabHeapBytes)}"));
        }
        else
        {
            Console.WriteLine(string.Create(i, $"  lab process (API server + simulated RHACM + operator in-process): CPU {m.LabCpuSeconds:F1}s, peak working set {Mib(m.LabPeakBytes)}, GC heap peak {Mib(m.LabHeapBytes)}"));
        }
    }

    private static async Task<Measurement?> Child(int size, OperatorMode mode, int memoryLimitMib)
    {
        var dir = Directory.CreateTempSubdirectory("tf-").FullName;
        try
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") info.ArgumentList.Add(typeof(Program).Assembly.Location);
            foreach (var a in (string[])["--one", size.ToString(CultureInfo.InvariantCulture), dir, mode.ToString(), memoryLimitMib.ToString(CultureInfo.InvariantCulture)]) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (p.ExitCode != 0 || line is null)
            {
                Console.WriteLine($"  run failed (exit {p.ExitCode}):\n{output}");
                var log = Path.Combine(dir, OperatorProcess.LogFileName);
                if (File.Exists(log)) Console.WriteLine($"  operator log:\n{string.Join('\n', File.ReadLines(log).TakeLast(40))}");
                return null;
            }
            return JsonSerializer.Deserialize<Measurement>(line);
        }
        finally
        {
            await LabDirectory.ClearAsync(dir, CancellationToken.None);
        }
    }

    private static async Task<int> RunOne(int spokes, string dir, OperatorMode mode, int memoryLimitMib)
    {
        var options = new LabOptions
        {
            WorkDir = dir,
            Spokes = spokes,
            Fidelity = Fidelity.Fast,
            MaxConcurrency = MaxConcurrency,
            Timing = FastSpokeTiming.Instant,
            Deadline = TimeSpan.FromMinutes(40),
        };
        var cgu = HubObjects.DefaultCgu(options.SpokeNames, MaxConcurrency);
        cgu["spec"]!["preCaching"] = false;
        options = options with { CguDocument = cgu.ToJsonString() };

        // TALM_BENCH_LOG=1 shows the lab's logs (on stderr) and keeps the operator's at information (operator.log).
        var verbose = Environment.GetEnvironmentVariable("TALM_BENCH_LOG") == "1";
        using var logs = verbose
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information))
            : LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.None));
        // The operator under the Deployment's memory limit, as in a pod: the runtime sizes its heap from it.
        string? why = null;
        using var cgroup = mode == OperatorMode.Process && memoryLimitMib > 0 ? MemoryCgroup.TryCreate(memoryLimitMib * 1024L * 1024, out why) : null;
        if (mode == OperatorMode.Process && memoryLimitMib > 0 && cgroup is null)
            throw new InvalidOperationException($"--memory-limit {memoryLimitMib}: {why}; run as root, or pass --memory-limit 0 to run without a limit");
        var dotnet = Environment.ProcessPath is { } exe && Path.GetFileNameWithoutExtension(exe) == "dotnet" ? exe : "dotnet";
        var talmDll = Path.Combine(AppContext.BaseDirectory, "talm.dll");
        var operatorProcess = mode == OperatorMode.Process
            ? new OperatorProcessSettings
            {
                TalmFile = cgroup is null ? dotnet : "sh",
                TalmPrefix = cgroup is null ? [talmDll] : [.. cgroup.ShellPrefix, dotnet, talmDll],
                // Every write is logged at information: at 10,000 clusters that is 200,000 lines, which is not the work measured.
                LogLevel = verbose ? "information" : "warning",
            }
            : null;
        var runner = new LabRunner(new EmbeddedBackend(Crds(), logs, operatorProcess),
            new LabSpokeFactory(options, TimeProvider.System, NullLogger.Instance).CreateAsync,
            new PlainLabView(TextWriter.Null), TimeProvider.System, NullLogger.Instance);

        var heapPeak = 0L;
        var operatorPeak = 0L;
        void Sample()
        {
            var h = GC.GetTotalMemory(false);
            if (h > Interlocked.Read(ref heapPeak)) Interlocked.Exchange(ref heapPeak, h);
            if (runner.Operator?.ProcessId is not { } pid) return;
            try
            {
                // VmHWM is the kernel's own high-water mark; sampling it keeps the last value seen before the process goes.
                var hwm = ProcStat.StatusBytes(pid, "VmHWM");
                if (hwm > Interlocked.Read(ref operatorPeak)) Interlocked.Exchange(ref operatorPeak, hwm);
            }
            catch (IOException)
            {
            }
        }
        using var sampler = new Timer(_ => Sample(), null, 0, 200);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var operatorCpu = double.NaN;
        var r = await runner.RunAsync(options, CancellationToken.None, _ =>
        {
            // While the operator still runs (it is stopped right after): its CPU time so far and its peak.
            if (runner.Operator?.ProcessId is { } pid) operatorCpu = ProcStat.CpuSeconds(pid);
            Sample();
            return Task.CompletedTask;
        });
        var me = Process.GetCurrentProcess();
        var metrics = r.Metrics;
        var backupWrites = (metrics.OperatorWritesByResource.GetValueOrDefault("managedclusteractions") +
            metrics.OperatorWritesByResource.GetValueOrDefault("managedclusterviews")) / (double)spokes;
        var m = new Measurement(spokes, metrics.OperatorMode, r.Finished, r.Clusters.Count(c => c.Result == "upgraded"), r.SetUp.TotalSeconds, r.EnableToCompletion.TotalSeconds,
            metrics.OperatorWrites / (double)spokes, backupWrites, metrics.OperatorDeletes / (double)spokes, metrics.OperatorReads,
            metrics.ViewToStatusP50Seconds ?? double.NaN, metrics.ViewToStatusMaxSeconds ?? double.NaN, metrics.ViewToStatusSamples, metrics.ViewToStatusP99Seconds ?? double.NaN,
            operatorCpu, Interlocked.Read(ref operatorPeak),
            (me.TotalProcessorTime - cpuBefore).TotalSeconds, me.PeakWorkingSet64, Interlocked.Read(ref heapPeak));
        if (cgroup is not null)
            Console.Error.WriteLine($"operator memory cgroup: limit {memoryLimitMib} MiB, {cgroup.Pressure()}");
        Console.WriteLine(JsonSerializer.Serialize(m, JsonOptions));
        return 0;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static List<string> Crds()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
        var root = dir?.FullName ?? throw new InvalidOperationException("run the benchmark from the repository (it needs deploy/crds and deploy/lab-crds)");
        return [.. new[] { "deploy/crds", "deploy/lab-crds" }.SelectMany(d => Directory.GetFiles(Path.Combine(root, d), "*.yaml").Order(StringComparer.Ordinal))];
    }
}

/// <summary>One size's figures. Operator CPU and peak are NaN / 0 when it ran in-process.</summary>
public sealed record Measurement(
    int Spokes, string OperatorMode, bool Finished, int Upgraded, double SetUpSeconds, double RolloutSeconds,
    double OperatorWritesPerCluster, double BackupWritesPerCluster, double OperatorDeletesPerCluster, long OperatorReads,
    double ViewToStatusP50Seconds, double ViewToStatusMaxSeconds, int Samples, double ViewToStatusP99Seconds,
    double OperatorCpuSeconds, long OperatorPeakBytes,
    double LabCpuSeconds, long LabPeakBytes, long LabHeapBytes);
