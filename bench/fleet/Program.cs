using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
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
/// process so CPU time and peak memory are its own. The 3,500 run is the baseline of the 10,000 one.
/// </summary>
public static class Program
{
    private const int MaxConcurrency = 500;

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--one", var n, var dir])
            return await RunOne(int.Parse(n, CultureInfo.InvariantCulture), dir);

        var sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [3500, 10000];
        var results = new List<Measurement>();
        foreach (var size in sizes)
        {
            Console.WriteLine($"== {size} spokes, maxConcurrency {MaxConcurrency}, instant spokes");
            var m = await Child(size);
            if (m is null) return 1;
            results.Add(m);
            Print(m);
        }
        if (results.Count >= 2)
        {
            var (a, b) = (results[0], results[^1]);
            var scale = (double)b.Spokes / a.Spokes;
            Console.WriteLine($"== {b.Spokes} vs {a.Spokes} (baseline): clusters x{scale:F2}; rollout time x{b.RolloutSeconds / a.RolloutSeconds:F2} " +
                $"(linear would be x{scale:F2}); operator writes/cluster x{b.OperatorWritesPerCluster / a.OperatorWritesPerCluster:F2}; " +
                $"backup-phase writes/cluster x{b.BackupWritesPerCluster / a.BackupWritesPerCluster:F2}; peak memory x{(double)b.PeakBytes / a.PeakBytes:F2}");
        }
        var last = results[^1];
        Console.WriteLine($"Targets at {last.Spokes}: backup-phase writes/cluster {last.BackupWritesPerCluster:F1} (target <= 12, reference ~20); " +
            $"view-to-status max {last.ViewToStatusMaxSeconds:F2}s (target <= 2s); lab process peak {last.PeakBytes / (1024 * 1024)} MiB (target for the operator < 500 MiB)");
        return 0;
    }

    private static void Print(Measurement m) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  finished={m.Finished} upgraded={m.Upgraded}/{m.Spokes} set-up {m.SetUpSeconds:F1}s, enable->completion {m.RolloutSeconds:F1}s\n" +
        $"  operator: {m.OperatorWritesPerCluster:F1} writes/cluster ({m.BackupWritesPerCluster:F1} on actions+views = backup phase), {m.OperatorDeletesPerCluster:F1} deletes/cluster, {m.OperatorReads} reads in all\n" +
        $"  view-to-status latency: p50 {m.ViewToStatusP50Seconds:F3}s, max {m.ViewToStatusMaxSeconds:F3}s over {m.Samples} clusters\n" +
        $"  lab process (API server + simulated RHACM + operator): CPU {m.CpuSeconds:F1}s, peak working set {m.PeakBytes / (1024 * 1024)} MiB, GC heap peak {m.HeapBytes / (1024 * 1024)} MiB"));

    private static async Task<Measurement?> Child(int size)
    {
        var dir = Directory.CreateTempSubdirectory("tf-").FullName;
        try
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") info.ArgumentList.Add(typeof(Program).Assembly.Location);
            foreach (var a in (string[])["--one", size.ToString(CultureInfo.InvariantCulture), dir]) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (p.ExitCode != 0 || line is null)
            {
                Console.WriteLine($"  run failed (exit {p.ExitCode}):\n{output}");
                return null;
            }
            return JsonSerializer.Deserialize<Measurement>(line);
        }
        finally
        {
            await LabDirectory.ClearAsync(dir, CancellationToken.None);
        }
    }

    private static async Task<int> RunOne(int spokes, string dir)
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

        var heapPeak = 0L;
        using var sampler = new Timer(_ => { var h = GC.GetTotalMemory(false); if (h > Interlocked.Read(ref heapPeak)) Interlocked.Exchange(ref heapPeak, h); }, null, 0, 200);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        // TALM_BENCH_LOG=1 shows the operator's and the lab's logs (on stderr) when a run misbehaves.
        using var logs = Environment.GetEnvironmentVariable("TALM_BENCH_LOG") == "1"
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information))
            : LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.None));
        var runner = new LabRunner(new EmbeddedBackend(Crds(), logs),
            new LabSpokeFactory(options, TimeProvider.System, NullLogger.Instance).CreateAsync,
            new PlainLabView(TextWriter.Null), TimeProvider.System, NullLogger.Instance);
        var r = await runner.RunAsync(options, CancellationToken.None);
        var me = Process.GetCurrentProcess();
        var metrics = r.Metrics;
        var backupWrites = (metrics.OperatorWritesByResource.GetValueOrDefault("managedclusteractions") +
            metrics.OperatorWritesByResource.GetValueOrDefault("managedclusterviews")) / (double)spokes;
        var m = new Measurement(spokes, r.Finished, r.Clusters.Count(c => c.Result == "upgraded"), r.SetUp.TotalSeconds, r.EnableToCompletion.TotalSeconds,
            metrics.OperatorWrites / (double)spokes, backupWrites, metrics.OperatorDeletes / (double)spokes, metrics.OperatorReads,
            metrics.ViewToStatusP50Seconds ?? double.NaN, metrics.ViewToStatusMaxSeconds ?? double.NaN, metrics.ViewToStatusSamples,
            (me.TotalProcessorTime - cpuBefore).TotalSeconds, me.PeakWorkingSet64, Interlocked.Read(ref heapPeak));
        Console.WriteLine(JsonSerializer.Serialize(m));
        return 0;
    }

    private static List<string> Crds()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
        var root = dir?.FullName ?? throw new InvalidOperationException("run the benchmark from the repository (it needs deploy/crds and deploy/lab-crds)");
        return [.. new[] { "deploy/crds", "deploy/lab-crds" }.SelectMany(d => Directory.GetFiles(Path.Combine(root, d), "*.yaml").Order(StringComparer.Ordinal))];
    }
}

public sealed record Measurement(
    int Spokes, bool Finished, int Upgraded, double SetUpSeconds, double RolloutSeconds,
    double OperatorWritesPerCluster, double BackupWritesPerCluster, double OperatorDeletesPerCluster, long OperatorReads,
    double ViewToStatusP50Seconds, double ViewToStatusMaxSeconds, int Samples,
    double CpuSeconds, long PeakBytes, long HeapBytes);
