using System.Text;
using System.Text.Json;
using CsCheck;
using Talm.Api.Json;

namespace Talm.Engine.Tests;

/// <summary>Invariants over random fleets, policies, job outcomes and unreachable clusters.</summary>
public sealed class PropertyTests
{
    /// <summary>A random fleet: sizes drive shrinking, the seed drives the details.</summary>
    public sealed record Scenario(int Clusters, int MaxConcurrency, int Policies, bool Backup, bool PreCaching, int Seed)
    {
        public override string ToString() => $"clusters={Clusters} maxConcurrency={MaxConcurrency} policies={Policies} backup={Backup} preCaching={PreCaching} seed={Seed}";
    }

    private static readonly Gen<Scenario> Scenarios =
        Gen.Select(Gen.Int[1, 12], Gen.Int[-1, 5], Gen.Int[1, 3], Gen.Bool, Gen.Int[0, 3], Gen.Int, (n, m, p, b, pc, s) => new Scenario(n, m, p, b, pc == 0, s));

    private static readonly string[] BackupOutcomes = ["Succeeded", "Succeeded", "Succeeded", "DeadlineExceeded", "BackoffLimitExceeded", "Hang"];
    private static readonly string[] PrecacheOutcomes = ["Succeeded", "Succeeded", "Succeeded", "DeadlineExceeded", "BackoffLimitExceeded"];

    /// <summary>Builds the hub for a scenario; returns it with the CGU timeout in minutes.</summary>
    private static (FakeHub Hub, int Timeout) Build(Scenario s)
    {
        var rnd = new Random(s.Seed);
        var names = Fixtures.Names(s.Clusters);
        var policies = Enumerable.Range(1, s.Policies).Select(i => $"policy{i}").ToArray();
        var canaries = names.Where(_ => rnd.Next(6) == 0).Take(2).ToArray();
        var timeout = rnd.Next(20, 90);
        string? action = rnd.Next(3) switch { 0 => "Abort", 1 => "Continue", _ => null };
        var cgu = Fixtures.Cgu(names, policies, maxConcurrency: s.MaxConcurrency, backup: s.Backup, preCaching: s.PreCaching, timeout: timeout, canaries: canaries, batchTimeoutAction: action);
        var hub = new FakeHub(cgu).Clusters(names);
        foreach (var p in policies)
        {
            var compliance = names.ToDictionary(n => n, _ => rnd.Next(4) switch { 0 => "Compliant", 1 => "Pending", _ => (string?)"NonCompliant" });
            var objects = rnd.Next(2) == 0
                ? new[] { Fixtures.Subscription($"{p}-sub", "ns", $"{p}-pkg", "stable"), Fixtures.CatalogSource("cs", "registry.example/index:1") }
                : new[] { Fixtures.ConfigMap($"{p}-cm"), Fixtures.ClusterVersion(image: "quay.io/release:1") };
            hub.Policy(p, rnd.Next(2) == 0 ? "ztp" : "ztp-" + p, compliance, Fixtures.ConfigPolicy(objects));
        }
        foreach (var n in names)
        {
            hub.JobScript[(n, "backup-agent")] = (BackupOutcomes[rnd.Next(BackupOutcomes.Length)], rnd.Next(0, 5));
            hub.JobScript[(n, "pre-cache")] = (PrecacheOutcomes[rnd.Next(PrecacheOutcomes.Length)], rnd.Next(0, 3));
            hub.RemediationTicks[n] = rnd.Next(5) == 0 ? -1 : rnd.Next(1, 6);
            if (rnd.Next(12) == 0)
                hub.Unreachable.Add(n);
        }
        return (hub, timeout);
    }

    private static void CheckInvariants(FakeHub hub)
    {
        var st = hub.Status;
        var placed = hub.All<Placement>().SelectMany(p => p.Spec.Predicates?[0].RequiredClusterSelector?.LabelSelector?.MatchExpressions?[0].Values ?? []).ToHashSet();
        // Batches started (the plan was rebuilt without the failed clusters); a CGU ended for want of
        // clusters (Succeeded False Failed) keeps the plan it had, as the reference does.
        var running = hub.Condition(ConditionTypes.Progressing) is { IsTrue: true } || hub.Condition(ConditionTypes.Succeeded) is { Reason: not ConditionReasons.Failed };
        foreach (var (gate, map, ok) in new[] { ("backup", st.Backup?.Status, BackupStates.Succeeded), ("pre-caching", st.Precaching?.Status, PrecacheStates.Succeeded) })
        {
            if (map is null)
                continue;
            // Nobody is remediated without a successful backup and pre-cache.
            foreach (var cluster in placed)
                Assert.True(map.TryGetValue(cluster, out var state) && state == ok, $"{cluster} is placed without a successful {gate}");
            foreach (var (cluster, state) in map)
            {
                var final = state is "Succeeded" or "BackupTimeout" or "PrecacheTimeout" or "UnrecoverableError";
                if (!final || state == ok || !running)
                    continue;
                Assert.DoesNotContain(st.RemediationPlan ?? [], batch => batch.Contains(cluster));
                Assert.DoesNotContain(st.Clusters ?? [], c => c.Name == cluster);
            }
        }
        if (st.Backup?.Status is { } backup)
        {
            var progressing = backup.Values.Count(BackupStates.IsProgressing);
            var succeeded = backup.Values.Count(v => v == BackupStates.Succeeded);
            var failed = backup.Count - progressing - succeeded;
            var expected = (progressing, succeeded, failed) switch
            {
                (0, _, 0) => "True BackupCompleted: Backup is completed for all clusters",
                (0, 0, _) => "False Failed: Backup failed for all clusters",
                (0, _, _) => $"True PartiallyDone: Backup failed for {failed} clusters",
                _ => $"False InProgress: Backup in progress for {progressing} clusters",
            };
            // Once true, the backup is not looked at again, so a later count is not written.
            if (hub.Condition(ConditionTypes.BackupSucceeded) is not { IsTrue: true } || progressing == 0)
                Assert.Equal(expected, Show.Condition(hub, ConditionTypes.BackupSucceeded));
        }
        // A cluster gets at most one result, and only a selected cluster gets one.
        var results = (st.Clusters ?? []).Select(c => c.Name).ToList();
        Assert.Equal(results.Count, results.Distinct().Count());
        Assert.All(results, r => Assert.Contains(r, hub.Cgu.Spec.Clusters!));
        // Succeeded, once there, is the last condition (kubectl shows it).
        if (hub.Condition(ConditionTypes.Succeeded) is not null)
            Assert.Equal(ConditionTypes.Succeeded, st.Conditions![^1].Type);
    }

    [Fact]
    public void Failed_gates_keep_clusters_out_the_counts_add_up_and_every_cgu_ends()
    {
        Scenarios.Sample(s =>
        {
            var (hub, timeout) = Build(s);
            // Enough steps of a minute for pre-caching, the backup's 20 minutes and the CGU's timeout.
            var steps = timeout + 40;
            hub.RunUntilTerminal(TimeSpan.FromMinutes(1), steps, CheckInvariants);
            Assert.True(hub.Progress.CompletedAt is not null, $"not finished after {steps} steps: {Show.Last(hub)}");
            Assert.Equal("False", hub.Condition(ConditionTypes.Progressing)!.Status);
            if (hub.Status.Backup?.Status is { } map)
                Assert.All(map.Values, v => Assert.True(BackupStates.IsFinal(v), v));
            // Finished means finished: nothing more is asked of the hub, and the placements are gone.
            var after = hub.Engine.Decide(hub.Snapshot(), hub.Now.AddHours(1));
            Assert.Empty(after.Intents);
            Assert.Null(after.RequeueAfter);
            Assert.False(after.StatusChanged);
            Assert.Empty(hub.All<Placement>());
        }, iter: 40);
    }

    [Fact]
    public void Decisions_do_not_depend_on_snapshot_order_and_never_write_into_the_snapshot()
    {
        Gen.Select(Scenarios, Gen.Int[0, 30], Gen.Int, (s, step, shuffleSeed) => (s, step, shuffleSeed)).Sample(t =>
        {
            var (s, stepCount, shuffleSeed) = t;
            var (hub, _) = Build(s);
            for (var i = 0; i < stepCount && hub.Progress.CompletedAt is null; i++)
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
                Actions = Shuffle(snapshot.Actions, rnd),
                Placements = Shuffle(snapshot.Placements, rnd),
                PlacementBindings = Shuffle(snapshot.PlacementBindings, rnd),
                ManifestWorks = Shuffle(snapshot.ManifestWorks, rnd),
            };
            var before = KubeJson.Serialize(snapshot.Cgu);
            var a = Render(hub.Engine.Decide(snapshot, hub.Now));
            var b = Render(hub.Engine.Decide(shuffled, hub.Now));
            Assert.Equal(a, b);
            Assert.Equal(before, KubeJson.Serialize(snapshot.Cgu));
        }, iter: 40);
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
        sb.AppendLine(KubeJson.Serialize(d.Status)).AppendLine(d.RequeueAfter?.ToString() ?? "-").AppendLine(d.Error ?? "-");
        foreach (var i in d.Intents)
        {
            sb.AppendLine(i switch
            {
                ApplyIntent a => $"{a.Mode} {a.ToJson().ToJsonString()}",
                DeleteIntent del => $"delete {del.Kind} {del.Namespace}/{del.Name}",
                DeleteCollectionIntent dc => $"deleteall {dc.KindInfo.Kind} {dc.Namespace} {JsonSerializer.Serialize(dc.Labels)}",
                ClusterMetadataIntent c => $"cluster {c.Cluster} {JsonSerializer.Serialize(c)}",
                FinalizerIntent f => $"finalizer {f.Add}",
                _ => "?",
            });
        }
        foreach (var e in d.Events)
            sb.AppendLine($"{e.Type} {e.Reason} {e.Action} {e.Note} {Show.Annotations(e)}");
        return sb.ToString();
    }
}
