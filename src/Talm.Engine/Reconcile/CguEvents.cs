using System.Globalization;
using Talm.Api.Cgu;
using Talm.Engine.Model;

namespace Talm.Engine.Reconcile;

internal enum ValidationFailure
{
    None,
    MissingPolicies,
    InvalidPolicies,
    AmbiguousPolicies,
}

/// <summary>The reference's Events about a CGU: reasons, actions, notes and cgu.openshift.io annotations; plus ours about backups.</summary>
internal static class CguEvents
{
    private const string Prefix = "cgu.openshift.io";
    private const string EventType = Prefix + "/event-type";
    private const string BatchClusters = Prefix + "/batch-clusters";
    private const string BatchClustersCount = Prefix + "/batch-clusters-count";
    private const string ClusterName = Prefix + "/cluster-name";
    private const string TimedOutClusters = Prefix + "/timedout-clusters";
    private const string TimedOutClustersCount = Prefix + "/timedout-clusters-count";
    private const string TotalBatches = Prefix + "/total-batches-count";
    private const string TotalClusters = Prefix + "/total-clusters-count";
    private const string MissingClustersList = Prefix + "/missing-clusters";
    private const string MissingClustersCount = Prefix + "/missing-clusters-count";
    private const string MissingPoliciesList = Prefix + "/missing-policies";
    private const string InvalidPoliciesList = Prefix + "/invalid-policies";
    private const string AmbiguousPoliciesList = Prefix + "/ambiguous-policies";
    private const string Truncated = Prefix + "/truncated";

    /// <summary>The API server's limit on all of an object's annotations together.</summary>
    private const int MaxAnnotationBytes = 256 * 1024;

    private static readonly HashSet<string> Truncatable = [BatchClusters, TimedOutClusters, MissingClustersList, MissingPoliciesList, InvalidPoliciesList, AmbiguousPoliciesList];

    public static EngineEvent Created(ClusterGroupUpgrade cgu) => New(EngineEvent.Normal, "CguCreated", "BuildingRemediationPlan",
        $"New ClusterGroupUpgrade found: {cgu.Name}", new() { [EventType] = "global" });

    public static EngineEvent Started(ClusterGroupUpgradeStatus status, ClusterGroupUpgrade cgu) => New(EngineEvent.Normal, "CguStarted", "RemediationStarted",
        $"ClusterGroupUpgrade {cgu.Name} started remediating policies",
        new() { [EventType] = "global", [TotalClusters] = Num(TotalClustersOf(status)), [TotalBatches] = Num(status.RemediationPlan?.Count ?? 0) });

    public static EngineEvent Success(ClusterGroupUpgradeStatus status, ClusterGroupUpgrade cgu) => New(EngineEvent.Normal, "CguSuccess", "RemediationCompleted",
        $"ClusterGroupUpgrade {cgu.Name} succeeded remediating policies",
        new() { [EventType] = "global", [TotalClusters] = Num(TotalClustersOf(status)) });

    public static EngineEvent TimedOut(ClusterGroupUpgradeStatus status, ClusterGroupUpgrade cgu)
    {
        var timedOut = (status.Clusters ?? []).Where(c => c.State == ClusterResultStates.TimedOut).Select(c => c.Name).ToList();
        return New(EngineEvent.Warning, "CguTimedout", "RemediationTimeout", $"ClusterGroupUpgrade {cgu.Name} timed-out remediating policies",
            new()
            {
                [EventType] = "global",
                [TimedOutClustersCount] = Num(timedOut.Count),
                [TimedOutClusters] = string.Join(',', timedOut),
                [TotalClusters] = Num(TotalClustersOf(status)),
            });
    }

    public static EngineEvent BatchStarted(ClusterGroupUpgradeStatus status, ClusterGroupUpgrade cgu)
    {
        var batch = BatchClustersOf(status);
        return New(EngineEvent.Normal, "CguStarted", "RemediationInBatchStarted",
            $"ClusterGroupUpgrade {cgu.Name}: batch index {Num(status.Status?.CurrentBatch ?? 0)} upgrade started",
            new() { [EventType] = "batch", [BatchClustersCount] = Num(batch.Count), [TotalClusters] = Num(TotalClustersOf(status)), [BatchClusters] = string.Join(',', batch) });
    }

    public static EngineEvent BatchSucceeded(ClusterGroupUpgradeStatus status, ClusterGroupUpgrade cgu)
    {
        var batch = BatchClustersOf(status);
        return New(EngineEvent.Normal, "CguSuccess", "RemediationInBatchCompleted",
            $"ClusterGroupUpgrade {cgu.Name}: all clusters in the batch index {Num(status.Status?.CurrentBatch ?? 0)} are compliant with managed policies",
            new() { [EventType] = "batch", [BatchClustersCount] = Num(batch.Count), [TotalClusters] = Num(TotalClustersOf(status)), [BatchClusters] = string.Join(',', batch) });
    }

    public static EngineEvent BatchTimedOut(ClusterGroupUpgradeStatus status, ClusterGroupUpgrade cgu)
    {
        var progress = status.Status?.CurrentBatchRemediationProgress ?? [];
        var timedOut = progress.Where(p => p.Value.State == RemediationStates.InProgress).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        return New(EngineEvent.Warning, "CguTimedout", "RemediationInBatchTimeout",
            $"ClusterGroupUpgrade {cgu.Name}: some clusters in the batch index {Num(status.Status?.CurrentBatch ?? 0)} timed out remediating policies",
            new()
            {
                [EventType] = "batch",
                [TimedOutClustersCount] = Num(timedOut.Count),
                [TimedOutClusters] = string.Join(',', timedOut),
                [BatchClustersCount] = Num(progress.Count),
                [TotalClusters] = Num(TotalClustersOf(status)),
            });
    }

    public static EngineEvent ClusterStarted(ClusterGroupUpgrade cgu, string cluster) =>
        New(EngineEvent.Normal, "CguStarted", "RemediationInClusterStarted", $"ClusterGroupUpgrade {cgu.Name}: cluster {cluster} upgrade started",
            new() { [EventType] = "cluster", [ClusterName] = cluster }) with { RelatedCluster = cluster };

    public static EngineEvent ClusterSucceeded(ClusterGroupUpgrade cgu, string cluster) =>
        New(EngineEvent.Normal, "CguSuccess", "RemediationInClusterCompleted", $"ClusterGroupUpgrade {cgu.Name}: cluster {cluster} upgrade finished successfully",
            new() { [EventType] = "cluster", [ClusterName] = cluster }) with { RelatedCluster = cluster };

    public static EngineEvent MissingClusters(ClusterGroupUpgrade cgu, List<string> missing)
    {
        var list = string.Join(',', missing);
        return New(EngineEvent.Warning, "CguValidationFailure", "RemediationOnHoldDueToValidationFailure",
            $"ClusterGroupUpgrade {cgu.Name}: validation failure (missing clusters): {list}",
            new() { [MissingClustersCount] = Num(missing.Count), [MissingClustersList] = list });
    }

    public static EngineEvent PoliciesValidationFailure(ClusterGroupUpgrade cgu, ValidationFailure failure, PoliciesInfo info)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        var note = "";
        switch (failure)
        {
            case ValidationFailure.MissingPolicies:
                var missing = string.Join(',', info.Missing);
                note = $"ClusterGroupUpgrade {cgu.Name}: validation failure (missing policies): {missing}";
                annotations[MissingPoliciesList] = missing;
                break;
            case ValidationFailure.InvalidPolicies:
                var invalid = string.Join(',', info.Invalid);
                note = $"ClusterGroupUpgrade {cgu.Name}: validation failure (invalid policies): {invalid}";
                annotations[InvalidPoliciesList] = invalid;
                break;
            case ValidationFailure.AmbiguousPolicies:
                var ambiguous = string.Join(',', info.Duplicated.Keys);
                note = $"ClusterGroupUpgrade {cgu.Name}: validation failure (ambiguous policies): {ambiguous}";
                annotations[AmbiguousPoliciesList] = ambiguous;
                break;
        }
        return New(EngineEvent.Warning, "CguValidationFailure", "RemediationOnHoldDueToValidationFailure", note, annotations);
    }

    /// <summary>Ours: a cluster's backup ended (the reference sends none).</summary>
    public static EngineEvent BackupFinished(ClusterGroupUpgrade cgu, string cluster, string state, BackupDetails? details = null) =>
        New(state == BackupStates.Succeeded ? EngineEvent.Normal : EngineEvent.Warning, "BackupFinished", "BackupCompleted",
            $"ClusterGroupUpgrade {cgu.Name}: backup of cluster {cluster} ended {state}{BackupFacts.Describe(details)}",
            new() { [EventType] = "cluster", [ClusterName] = cluster }) with { RelatedCluster = cluster, BackupCluster = cluster, BackupState = state, BackupDetails = details };

    private static EngineEvent New(string type, string reason, string action, string note, Dictionary<string, string> annotations)
    {
        Truncate(annotations);
        return new EngineEvent { Type = type, Reason = reason, Action = action, Note = note, Annotations = annotations };
    }

    /// <summary>truncateAnnotations: a list that would take the annotations past the API server's limit is cut at a whole name.</summary>
    private static void Truncate(Dictionary<string, string> annotations)
    {
        long total = annotations.Sum(p => (long)p.Key.Length + p.Value.Length);
        if (total <= MaxAnnotationBytes)
            return;
        foreach (var (key, value) in annotations.ToList())
        {
            if (!Truncatable.Contains(key))
                continue;
            var shrink = total + Truncated.Length + key.Length - MaxAnnotationBytes;
            var max = value.Length - shrink;
            // truncateListString keeps the names whose joined length fits; counted as it goes, not re-joined per name.
            var items = value.Split(',');
            int kept = 0, length = 0;
            foreach (var item in items)
            {
                var next = kept == 0 ? item.Length : length + 1 + item.Length;
                if (next > max)
                    break;
                length = next;
                kept++;
            }
            annotations[key] = string.Join(',', items, 0, kept);
            annotations[Truncated] = key;
            break;
        }
    }

    private static int TotalClustersOf(ClusterGroupUpgradeStatus status) => status.RemediationPlan?.Sum(b => b.Count) ?? 0;

    private static List<string> BatchClustersOf(ClusterGroupUpgradeStatus status) =>
        (status.Status?.CurrentBatchRemediationProgress?.Keys ?? Enumerable.Empty<string>()).Order(StringComparer.Ordinal).ToList();

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
