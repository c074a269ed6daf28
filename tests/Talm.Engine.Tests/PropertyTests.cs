using System.Text;
using System.Text.Json;
using CsCheck;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;
using Talm.Engine.Tests.Support;

namespace Talm.Engine.Tests;

/// <summary>Invariants over random fleets and random job outcomes (issue 2, item 5).</summary>
public sealed class PropertyTests
{
    /// <summary>A random fleet: sizes drive shrinking, the seed drives the details.</summary>
    public sealed record Scenario(int Clusters, int MaxConcurrency, int Policies, bool Backup, int Seed)
    {
        public override string ToString() => $"clusters={Clusters} maxConcurrency={MaxConcurrency} policies={Policies} backup={Backup} seed={Seed}";
    }

    private static readonly Gen<Scenario> Scenarios = Gen.Select(Gen.Int[1, 25], Gen.Int[-1, 8], Gen.Int[1, 3], Gen.Bool, Gen.Int, (n, m, p, b, s) => new Scenario(n, m, p, b, s));

    private static readonly string[] Outcomes = ["Succeeded", "Succeeded", "Succeeded", "DeadlineExceeded", "BackoffLimitExceeded", "Hang"];

    /// <summary>Builds the hub for a scenario; returns it with the CGU timeout in minutes.</summary>
    private static (FakeHub Hub, int Timeout) Build(Scenario s)
    {
        var rnd = new Random(s.Seed);
        var names = Fixtures.Names(s.Clusters);
        var policies = Enumerable.Range(1, s.Policies).Select(i => $"policy{i}").ToArray();
        var canaries = names.Where(_ => rnd.Next(6) == 0).Take(2).ToArray();
        var timeout = rnd.Next(25, 120);
        string? action = rnd.Next(3) switch { 0 => "Abort", 1 => "Continue", _ => null };
        var cgu = Fixtures.Cgu(names, policies, maxConcurrency: s.MaxConcurrency, backup: s.Backup, timeout: timeout, canaries: canaries, batchTimeoutAction: action);
        var hub = new FakeHub(cgu);
        foreach (var n in names)
            hub.Cluster(n);
        foreach (var p in policies)
        {
            var compliance = names.ToDictionary(n => n, _ => rnd.Next(4) switch { 0 => "Compliant", 1 => "Pending", _ => (string?)"NonCompliant" });
            hub.Policy(p, rnd.Next(2) == 0 ? "ztp" : "ztp-other-" + p, compliance);
        }
        foreach (var n in names)
        {
            hub.JobScript[(n, "backup-agent")] = (Outcomes[rnd.Next(Outcomes.Length)], rnd.Next(0, 5));
            hub.RemediationTicks[n] = rnd.Next(5) == 0 ? -1 : rnd.Next(1, 6);
            if (rnd.Next(12) == 0)
                hub.Unreachable.Add(n);
        }
        return (hub, timeout);
    }

    private static void CheckInvariants(FakeHub hub)
    {
        var st = hub.Status;
        var backup = st.Backup?.Status;
        var placed = hub.Objects.OfType<Placement>()
            .SelectMany(p => p.Spec.Predicates![0].RequiredClusterSelector!.LabelSelector!.MatchExpressions![0].Values!).ToHashSet();
        var planned = (st.RemediationPlan ?? []).SelectMany(b => b).ToHashSet();
        if (hub.Cgu.Spec.IsBackup)
        {
            foreach (var cluster in placed)
                Assert.True(backup is not null && backup.TryGetValue(cluster, out var s) && s == BackupStates.Succeeded, $"{cluster} is placed without a successful backup");
            foreach (var (cluster, state) in backup ?? [])
            {
                if (BackupStates.IsFinal(state) && state != BackupStates.Succeeded)
                {
                    Assert.False(planned.Contains(cluster), $"{cluster} ({state}) is in the plan; conditions: {string.Join(" | ", st.Conditions!.Select(c => c.Type + "=" + c.Reason))}");
                    Assert.False((st.Clusters ?? []).Any(c => c.Name == cluster), $"{cluster} ({state}) has a result");
                }
            }
            if (backup is not null)
            {
                var progressing = backup.Values.Count(BackupStates.IsProgressing);
                var succeeded = backup.Values.Count(v => v == BackupStates.Succeeded);
                var failed = backup.Count - progressing - succeeded;
                Assert.All(backup.Values, v => Assert.True(BackupStates.IsProgressing(v) || BackupStates.IsFinal(v), v));
                var c = Conditions.Find(st.Conditions, ConditionTypes.BackupSucceeded)!;
                var expected = (progressing, succeeded, failed) switch
                {
                    (0, _, 0) => ("True", "BackupCompleted", "Backup is completed for all clusters"),
                    (0, 0, _) => ("False", "Failed", "Backup failed for all clusters"),
                    (0, _, _) => ("True", "PartiallyDone", $"Backup failed for {failed} clusters"),
                    _ => ("False", "InProgress", $"Backup in progress for {progressing} clusters"),
                };
                Assert.Equal(expected, (c.Status, c.Reason, c.Message));
            }
        }
        // A cluster gets at most one final result.
        var results = (st.Clusters ?? []).Select(c => c.Name).ToList();
        Assert.Equal(results.Count, results.Distinct().Count());
        Assert.All(results, r => Assert.Contains(r, planned));
    }

    [Fact]
    public void Failed_backups_stay_out_and_counts_add_up_and_every_cgu_ends()
    {
        Scenarios.Sample(s =>
        {
            var (hub, timeout) = Build(s);
            // Everything is final or past a limit after the CGU timeout plus the backup hub limit.
            var steps = (timeout + 25) * 2;
            hub.RunUntilTerminal(TimeSpan.FromSeconds(30), steps, CheckInvariants);
            var done = hub.Condition(ConditionTypes.Succeeded);
            Assert.True(done is not null, $"not terminal after {steps} steps: {hub.Status.Conditions![^1].Message}");
            Assert.Equal("Succeeded", hub.Status.Conditions![^1].Type);
            var progressing = hub.Condition(ConditionTypes.Progressing)!;
            Assert.Equal("False", progressing.Status);
            if (hub.Status.Backup?.Status is { } map)
                Assert.All(map.Values, v => Assert.True(BackupStates.IsFinal(v)));
            // Terminal means done: nothing more is asked of the hub.
            var after = hub.Engine.Decide(hub.Snapshot(), hub.Now.AddHours(1));
            Assert.Empty(after.Intents);
            Assert.Null(after.RequeueAfter);
        }, iter: 60, threads: 1);
    }

    [Fact]
    public void Decisions_do_not_depend_on_snapshot_order()
    {
        Gen.Select(Scenarios, Gen.Int[0, 40], Gen.Int, (s, step, shuffleSeed) => (s, step, shuffleSeed)).Sample(t =>
        {
            var (s, stepCount, shuffleSeed) = t;
            var (hub, _) = Build(s);
            for (var i = 0; i < stepCount && hub.Condition(ConditionTypes.Succeeded) is null; i++)
            {
                hub.Decide();
                hub.Tick();
                hub.Clock.Advance(TimeSpan.FromSeconds(30));
            }
            var snapshot = hub.Snapshot();
            var rnd = new Random(shuffleSeed);
            var shuffled = snapshot with
            {
                ManagedClusters = Shuffle(snapshot.ManagedClusters, rnd),
                Policies = Shuffle(snapshot.Policies, rnd),
                Views = Shuffle(snapshot.Views, rnd),
                Placements = Shuffle(snapshot.Placements, rnd),
                PlacementBindings = Shuffle(snapshot.PlacementBindings, rnd),
            };
            var before = KubeJson.Serialize(snapshot.Cgu);
            var a = Render(hub.Engine.Decide(snapshot, hub.Now));
            var b = Render(hub.Engine.Decide(shuffled, hub.Now));
            Assert.Equal(a, b);
            // Deciding never writes into the snapshot (status maps are shared, never written).
            Assert.Equal(before, KubeJson.Serialize(snapshot.Cgu));
        }, iter: 80, threads: 1);
    }

    private static List<T> Shuffle<T>(IReadOnlyList<T> items, Random rnd)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rnd.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    private static string Render(Decision d)
    {
        var sb = new StringBuilder();
        sb.AppendLine(KubeJson.Serialize(d.Status)).AppendLine(d.RequeueAfter?.ToString() ?? "-");
        foreach (var i in d.Intents)
        {
            sb.AppendLine(i switch
            {
                ApplyIntent a => $"{a.Mode} {a.ToJson().ToJsonString()}",
                DeleteIntent del => $"delete {del.Kind} {del.Namespace}/{del.Name}",
                ClusterMetadataIntent c => $"cluster {c.Cluster} {JsonSerializer.Serialize(c)}",
                FinalizerIntent f => $"finalizer {f.Add}",
                _ => "?",
            });
        }
        foreach (var e in d.Events)
            sb.AppendLine($"{e.Kind} {e.Reason} {e.Message} {e.Cluster} {e.Detail}");
        return sb.ToString();
    }
}
