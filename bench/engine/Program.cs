using BenchmarkDotNet.Running;
using Talm.Bench.Engine;

// `--smoke` checks the scenario and prints one timing without BenchmarkDotNet (seconds, not minutes).
if (args.Contains("--smoke"))
{
    var size = args.Length > 1 && int.TryParse(args[^1], out var n) ? n : 10_000;
    var snapshot = Fleet.MidBackup(size);
    var engine = new Talm.Engine.CguEngine(new Fleet.FixedSuffix());
    var d = engine.Decide(snapshot, Fleet.Now);
    for (var i = 0; i < 30; i++)
        d = engine.Decide(snapshot, Fleet.Now);
    const int runs = 100;
    var times = new double[runs];
    var before = GC.GetAllocatedBytesForCurrentThread();
    int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
    var pause0 = GC.GetTotalPauseDuration();
    var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    for (var i = 0; i < runs; i++)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        d = engine.Decide(snapshot, Fleet.Now);
        times[i] = sw.Elapsed.TotalMilliseconds;
    }
    var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / runs;
    var cpu = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore) / runs;
    Array.Sort(times);
    var gcs = $"GCs per 100 decisions: gen0 {GC.CollectionCount(0) - g0}, gen1 {GC.CollectionCount(1) - g1}, gen2 {GC.CollectionCount(2) - g2}, pause {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / runs:F2} ms/decision";
    Console.WriteLine($"{size:N0} clusters: median {times[runs / 2]:F2} ms, min {times[0]:F2} ms, CPU {cpu.TotalMilliseconds:F2} ms (process, incl. GC), {bytes / 1024.0 / 1024.0:F2} MB allocated per decision; {d.Intents.Count} intents; last condition: {d.Status.Conditions![^1].Message}");
    Console.WriteLine(gcs);
    return;
}
BenchmarkRunner.Run<EngineDecisionBenchmark>(args: args);
