using BenchmarkDotNet.Attributes;
using Talm.Engine;
using Talm.Engine.Model;

namespace Talm.Bench.Engine;

/// <summary>One engine decision for a CGU mid-backup; the 1,000-cluster decision is the baseline, so Ratio shows how cost scales.</summary>
[MemoryDiagnoser]
[MedianColumn, MinColumn]
[IterationTime(250)]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class EngineDecisionBenchmark
{
    private readonly CguEngine _engine = new(new Fleet.FixedSuffix());
    private HubSnapshot _small = null!;
    private HubSnapshot _large = null!;

    [GlobalSetup]
    public void Setup()
    {
        _small = Fleet.MidBackup(1_000);
        _large = Fleet.MidBackup(10_000);
    }

    [Benchmark(Baseline = true, Description = "decide, 1,000 clusters mid-backup")]
    public Decision Clusters1000() => _engine.Decide(_small, Fleet.Now);

    [Benchmark(Description = "decide, 10,000 clusters mid-backup")]
    public Decision Clusters10000() => _engine.Decide(_large, Fleet.Now);
}
