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
        for (var run = 0; run < 60; run++)
        {
            var sw = Stopwatch.StartNew();
            void Mark(string step)
            {
                var ms = sw.Elapsed.TotalMilliseconds;
                if (run >= 20)
                    best[step] = Math.Min(best.GetValueOrDefault(step, double.MaxValue), ms);
                sw.Restart();
            }
            var ctx = new DecisionContext(snapshot, Fleet.Now, suffix);
            Mark("index + status copy");
            var selected = ClusterSelection.Run(ctx)!.Value;
            Mark("select");
            var policies = PolicyValidation.Run(ctx, selected.Clusters, selected.Set)!;
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
        foreach (var (step, ms) in best)
            Console.WriteLine($"{step,-22} {ms,8:F2} ms");
    }
}
