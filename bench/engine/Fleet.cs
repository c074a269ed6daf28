using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;
using Talm.Engine.Model;

namespace Talm.Bench.Engine;

/// <summary>A hub snapshot of a CGU over <c>n</c> clusters, mid-backup, as an operator's cache would hold it.</summary>
public static class Fleet
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 5, 0, TimeSpan.Zero);

    public static HubSnapshot MidBackup(int n)
    {
        var names = Enumerable.Range(1, n).Select(i => $"sno-{i:D5}").ToArray();
        var available = new ManagedClusterStatus { Conditions = [new Condition { Type = ManagedCluster.AvailableCondition, Status = "True" }] };
        var clusters = names.Select(c => new ManagedCluster
        {
            Metadata = new ObjectMeta { Name = c, Labels = new Dictionary<string, string> { ["name"] = c, ["du-profile"] = "4.16" } },
            Status = available,
        }).ToList();

        var policies = new List<Policy>();
        foreach (var p in new[] { "du-upgrade-platform-upgrade", "du-upgrade-operators" })
        {
            var template = new PolicyTemplate
            {
                ObjectDefinition = KubeJson.Element("""
                    {"apiVersion":"policy.open-cluster-management.io/v1","kind":"ConfigurationPolicy","metadata":{"name":"cp"},
                     "spec":{"object-templates":[{"complianceType":"musthave","objectDefinition":{"apiVersion":"operators.coreos.com/v1alpha1","kind":"Subscription","metadata":{"name":"ptp-operator-subscription","namespace":"openshift-ptp"},"spec":{"name":"ptp-operator","channel":"stable"}}}]}}
                    """),
            };
            var spec = new PolicySpec { RemediationAction = "inform", PolicyTemplates = [template] };
            policies.Add(new Policy
            {
                Metadata = new ObjectMeta { Name = p, Namespace = "ztp-group" },
                Spec = spec,
                Status = new PolicyStatus { Status = [.. names.Select(c => new PolicyClusterStatus { ClusterName = c, ClusterNamespace = c, Compliant = "NonCompliant" })] },
            });
            var childLabels = new Dictionary<string, string> { ["policy.open-cluster-management.io/root-policy"] = $"ztp-group.{p}" };
            policies.AddRange(names.Select(c => new Policy { Metadata = new ObjectMeta { Name = $"ztp-group.{p}", Namespace = c, Labels = childLabels }, Spec = spec }));
        }

        // 70 % Active, 10 % Starting (job being created), 5 % Starting (namespace being created), 10 % Succeeded, 5 % failed.
        var states = new Dictionary<string, string>(n);
        var views = new List<ManagedClusterView>();
        var nsPresent = Processing(true, "Watching resources successfully", """{"metadata":{"name":"openshift-talo-backup"}}""");
        var jobActive = Processing(true, "Watching resources successfully", """{"status":{"active":1}}""");
        var jobAbsent = Processing(false, "failed to get resource: jobs.batch \"backup-agent\" not found", null);
        for (var i = 0; i < n; i++)
        {
            var c = names[i];
            var bucket = i % 20;
            string state;
            if (bucket < 14)
            {
                state = BackupStates.Active;
                views.Add(View(c, "view-backup-namespace", nsPresent));
                views.Add(View(c, "view-backup-job", jobActive));
            }
            else if (bucket < 16)
            {
                state = BackupStates.Starting;
                views.Add(View(c, "view-backup-namespace", nsPresent));
                views.Add(View(c, "view-backup-job", jobAbsent));
            }
            else if (bucket < 17)
            {
                state = BackupStates.Starting;
            }
            else if (bucket < 19)
            {
                state = BackupStates.Succeeded;
            }
            else
            {
                state = BackupStates.UnrecoverableError;
            }
            states[c] = state;
        }

        var cgu = new ClusterGroupUpgrade
        {
            Metadata = new ObjectMeta
            {
                Name = "du-upgrade",
                Namespace = "ztp-group-du-sno",
                Finalizers = [ClusterGroupUpgrade.CleanupFinalizer],
                Annotations = new Dictionary<string, string> { [ClusterGroupUpgrade.NameSuffixAnnotation] = "bench" },
            },
            Spec = new ClusterGroupUpgradeSpec
            {
                Clusters = names,
                ManagedPolicies = ["du-upgrade-platform-upgrade", "du-upgrade-operators"],
                Backup = true,
                RemediationStrategy = new RemediationStrategy { MaxConcurrency = 500, Timeout = 240 },
            },
        };
        // Run the engine until the backup has started, as the operator would (status written, Placements
        // and bindings created), then put the backup states in.
        var engine = new Talm.Engine.CguEngine(new FixedSuffix());
        var snapshot = new HubSnapshot { Cgu = cgu, ManagedClusters = clusters, Policies = policies, Settings = Settings };
        var placements = new Dictionary<string, Placement>();
        var bindings = new Dictionary<string, PlacementBinding>();
        for (var i = 0; i < 5 && snapshot.Cgu.Status?.Backup is null; i++)
        {
            var d = engine.Decide(snapshot, Now.AddMinutes(-5));
            foreach (var a in d.Intents.OfType<ApplyIntent>())
            {
                if (a.Body is Placement p)
                    placements[a.Name] = p;
                else if (a.Body is PlacementBinding b)
                    bindings[a.Name] = b;
            }
            snapshot = snapshot with { Cgu = snapshot.Cgu with { Status = d.Status.DeepCopy() }, Placements = [.. placements.Values], PlacementBindings = [.. bindings.Values] };
        }
        var status = snapshot.Cgu.Status?.DeepCopy() ?? throw new InvalidOperationException("the engine did not reach the backup");
        if (status.Backup is null)
            throw new InvalidOperationException($"the engine did not reach the backup: {status.Conditions?[^1].Message}");
        status.Backup = new BackupStatus { StartedAt = Now.AddMinutes(-5), Status = states, Clusters = [] };
        return snapshot with { Cgu = snapshot.Cgu with { Status = status }, Views = views };
    }

    // Every cluster may step in one decision: the worst case, and the figures stay comparable with
    // those from before the operator bounded the steps per reconcile (200 by default).
    public static readonly EngineSettings Settings = new() { RecoveryImage = "quay.io/openshift-kni/talm-recovery:4.16", ClusterStepsPerDecision = int.MaxValue };

    private static ManagedClusterViewStatus Processing(bool ok, string message, string? result) => new()
    {
        Conditions = [new Condition { Type = "Processing", Status = ok ? "True" : "False", Message = message }],
        Result = result is null ? null : KubeJson.Element(result),
    };

    private static ManagedClusterView View(string cluster, string name, ManagedClusterViewStatus status) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = cluster },
        Status = status,
    };

    public sealed class FixedSuffix : INameSuffixSource
    {
        public string Next() => "bench";
    }
}
