using Talm.Api.Cgu;
using Talm.Engine.Reconcile;

namespace Talm.Engine.Progress;

/// <summary>One cluster of a CGU as <c>kubectl talm status</c> shows it.</summary>
public sealed record ClusterProgress
{
    public required string Cluster { get; init; }

    /// <summary>The backup state (status.backup.status), or null without a backup.</summary>
    public string? Backup { get; init; }

    public BackupDetails? BackupDetails { get; init; }

    /// <summary>1-based batch of the remediation plan, or null when the cluster is in none (left out, or no plan yet).</summary>
    public int? Batch { get; init; }

    /// <summary>pending, backing up, upgrading, complete, timedout, or "left out (backup X)".</summary>
    public required string State { get; init; }

    /// <summary>The policy being remediated (or the one a timed-out cluster was at).</summary>
    public string? Policy { get; init; }

    /// <summary>Until the cluster's current step times out: the backup's limit, or its batch's share of the timeout.</summary>
    public TimeSpan? TimeLeft { get; init; }
}

/// <summary>A CGU's progress, cluster by cluster, read from its status (pure: the time is passed in).</summary>
public sealed record CguProgress
{
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary>The last condition's reason and message (what <c>kubectl get cgu</c> shows).</summary>
    public string? Phase { get; init; }

    public string? Message { get; init; }

    public int Batches { get; init; }

    public int CurrentBatch { get; init; }

    /// <summary>Until the whole CGU times out, once its remediation started.</summary>
    public TimeSpan? TimeLeft { get; init; }

    public required IReadOnlyList<ClusterProgress> Clusters { get; init; }

    public static CguProgress Of(ClusterGroupUpgrade cgu, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cgu);
        var status = cgu.Status ?? new ClusterGroupUpgradeStatus();
        var plan = status.RemediationPlan ?? [];
        var batchOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < plan.Count; i++)
            foreach (var c in plan[i]) batchOf.TryAdd(c, i + 1);
        var results = (status.Clusters ?? []).GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var progress = status.Status;
        var inBatch = progress?.CurrentBatchRemediationProgress ?? [];
        var timeout = TimeSpan.FromMinutes(cgu.Spec.RemediationStrategy?.TimeoutMinutes ?? RemediationStrategy.DefaultTimeoutMinutes);
        TimeSpan? cguLeft = progress?.StartedAt is { } started && progress.CompletedAt is null ? Positive(started + timeout - now) : null;
        TimeSpan? batchLeft = null;
        if (progress is { CurrentBatch: > 0, CurrentBatchStartedAt: { } batchStarted, CompletedAt: null })
            batchLeft = Positive(batchStarted + Reconcile.Batches.BatchTimeout(timeout, plan.Count, progress.CurrentBatch, batchStarted, progress.StartedAt ?? batchStarted) - now);
        TimeSpan? backupLeft = status.Backup?.StartedAt is { } backupStarted ? Positive(backupStarted + BackupJob.HubLimit - now) : null;
        var policies = status.ManagedPoliciesForUpgrade ?? [];

        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(IEnumerable<string> more)
        {
            foreach (var n in more)
                if (seen.Add(n)) names.Add(n);
        }
        Add(cgu.Spec.Clusters ?? []);
        Add(plan.SelectMany(b => b));
        Add(status.Backup?.Status?.Keys ?? Enumerable.Empty<string>());
        Add(results.Keys);

        var rows = new List<ClusterProgress>(names.Count);
        foreach (var name in names)
        {
            var backup = status.Backup?.Status?.GetValueOrDefault(name);
            var batch = batchOf.TryGetValue(name, out var b) ? b : (int?)null;
            string state;
            string? policy = null;
            TimeSpan? left = null;
            if (results.TryGetValue(name, out var result))
            {
                state = result.State;
                policy = result.CurrentPolicy?.Name;
            }
            else if (backup is not null && BackupStates.IsProgressing(backup))
            {
                state = "backing up";
                left = backupLeft;
            }
            else if (backup is not null && backup != BackupStates.Succeeded)
            {
                state = $"left out (backup {backup})";
            }
            else if (inBatch.TryGetValue(name, out var step))
            {
                state = step.State == RemediationStates.Completed ? "complete" : "upgrading";
                if (step.PolicyIndex is { } index && index >= 0 && index < policies.Count)
                    policy = policies[index].Name;
                if (step.State != RemediationStates.Completed)
                    left = batchLeft;
            }
            else if (progress?.CompletedAt is not null && batch is not null)
            {
                state = "complete";
            }
            else
            {
                state = "pending";
            }

            rows.Add(new ClusterProgress
            {
                Cluster = name, Backup = backup, BackupDetails = status.Backup?.Details?.GetValueOrDefault(name),
                Batch = batch, State = state, Policy = policy, TimeLeft = left,
            });
        }
        var last = status.Conditions is { Count: > 0 } conditions ? conditions[^1] : null;
        return new CguProgress
        {
            Name = cgu.Metadata.Name ?? "", Namespace = cgu.Metadata.Namespace ?? "",
            Phase = last?.Reason, Message = last?.Message,
            Batches = plan.Count, CurrentBatch = progress?.CurrentBatch ?? 0,
            TimeLeft = cguLeft, Clusters = rows,
        };
    }

    private static TimeSpan Positive(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;
}
