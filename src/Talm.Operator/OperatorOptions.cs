using Talm.Engine.Model;
using Talm.Operator.Election;
using Talm.Operator.Kube;
using Talm.Operator.Queue;

namespace Talm.Operator;

/// <summary>Everything the operator needs from outside; the CLI fills it from flags and environment.</summary>
public sealed record OperatorOptions
{
    /// <summary>RECOVERY_IMG: the backup Job's image. Absent: backups cannot start (as with the reference).</summary>
    public string? RecoveryImage { get; init; }

    /// <summary>PRECACHE_IMG: the pre-cache Job's image.</summary>
    public string? PrecacheImage { get; init; }

    /// <summary>Null runs without leader election (one replica only).</summary>
    public LeaderElectionOptions? LeaderElection { get; init; }

    public string? HealthBind { get; init; } = ":8081";
    public string? MetricsBind { get; init; } = ":8443";

    /// <summary>
    /// /metrics over HTTPS, only for callers whose bearer token passes a TokenReview and whose user may
    /// get /metrics (SubjectAccessReview), as controller-runtime's secure metrics. Off: plain HTTP, open.
    /// </summary>
    public bool MetricsSecure { get; init; } = true;

    /// <summary>Directory with tls.crt and tls.key for the secure metrics; null makes a self-signed certificate at start.</summary>
    public string? MetricsCertDir { get; init; }

    /// <summary>Reconciles running at once (different CGUs; one CGU is never in two).</summary>
    public int Workers { get; init; } = 5;

    /// <summary>
    /// How many clusters may start a step that writes spoke-side objects in one reconcile of a CGU;
    /// the rest follow in the next one, at once. Smaller: the status follows the fleet more closely;
    /// larger: fewer status writes.
    /// </summary>
    public int ClusterStepsPerReconcile { get; init; } = EngineSettings.DefaultClusterStepsPerDecision;

    public InformerOptions Informers { get; init; } = new();
    public Backoff Backoff { get; init; } = Backoff.Default;

    /// <summary>Events' reporting controller: the reference's name, which dashboards filter on.</summary>
    public string Component { get; init; } = "ClusterGroupUpgrade";

    /// <summary>INSECURE_GRAPH_CALL=true: do not check the update graph's certificate (as the reference allows).</summary>
    public bool InsecureUpdateGraph { get; init; }

    /// <summary>This replica's name in Events and the Lease.</summary>
    public string Instance { get; init; } = Environment.MachineName;

    /// <summary>
    /// React to changes of ManagedClusterViews/Actions (the default). Off, a CGU waiting on a spoke
    /// is looked at only when the engine's 30 s poll comes round, as the reference does: kept to
    /// measure the difference (bench/hub-reaction).
    /// </summary>
    public bool ReactToSpokeObjects { get; init; } = true;
}
