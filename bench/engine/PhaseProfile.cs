using System.Diagnostics;
using Talm.Engine.Internal;
using Talm.Engine.Model;

namespace Talm.Bench.Engine;

/// <summary>`--profile N`: the fastest of 40 runs of each step of one decision, to see where time goes on a noisy machine.</summary>
internal static class PhaseProfile
{
    public static void Run(int size)
    {
        var snapshot = Fleet.MidBackup(size);
        var suffix = new Fleet.FixedSuffix();
        var best = new Dictionary<string, double>();
        var bytes = new Dictionary<string, long>();
        for (var run = 0; run < 60; run++)
        {
            var sw = Stopwatch.StartNew();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            void Mark(string step)
            {
                var ms = sw.Elapsed.TotalMilliseconds;
                var now = GC.GetAllocatedBytesForCurrentThread();
                if (run >= 20)
                {
                    best[step] = Math.Min(best.GetValueOrDefault(step, double.MaxValue), ms);
                    bytes[step] = now - allocated;
                }
                allocated = now;
                sw.Restart();
            }
            var ctx = new DecisionContext(snapshot, Fleet.Now, suffix);
            Mark("index + status copy");
            var selected = ClusterSelection.Run(ctx)!.Value;
            Mark("select");
            var policies = PolicyValidation.Run(ctx, selected.Clusters, selected.Slots)!;
            Mark("validate");
            var needing = RemediationPlan.Needing(selected.Clusters, policies);
            Mark("needing");
            Placements.Ensure(ctx, policies, null);
            Mark("placements");
            _ = ctx.Index.View("x", "y");
            Mark("view index");
            new BackupMachine(ctx).Run(needing);
            Mark("backup machine");
            ctx.Status.RemediationPlan = RemediationPlan.Build(needing, null, 500);
            Mark("plan");
            _ = ctx.Finish();
            Mark("finish (compare)");
        }
        var tpl = Talm.Api.Json.KubeJson.Element("{}");
        var b0 = GC.GetAllocatedBytesForCurrentThread();
        var keep = new List<object>(1000);
        for (var i = 0; i < 1000; i++)
            keep.Add(new ApplyIntent(ApplyMode.Create, SpokeObjects.CreateAction("c", "backup-ns-create", "namespace", tpl)));
        Console.WriteLine($"one create-action intent: {(GC.GetAllocatedBytesForCurrentThread() - b0) / 1000} B");
        b0 = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            keep.Add(new ApplyIntent(ApplyMode.Create, SpokeObjects.View("c", "view-backup-job", "jobs", "backup-agent", "ns")));
        Console.WriteLine($"one view intent: {(GC.GetAllocatedBytesForCurrentThread() - b0) / 1000} B");
        foreach (var (step, ms) in best)
            Console.WriteLine($"{step,-22} {ms,8:F2} ms {bytes[step] / 1024.0,10:F0} KB");
    }
}
