using Talm.Api.Cgu;
using Talm.Engine.Model;
using Talm.Engine.Reconcile;

namespace Talm.Engine.Preflight;

/// <summary>The clusters a CGU would back up, as one reconcile would find them now.</summary>
public sealed record BackupTargetsResult
{
    /// <summary>The clusters the backup would run on, in the upgrade's order (canaries first).</summary>
    public IReadOnlyList<string> Clusters { get; init; } = [];

    /// <summary>Every cluster the CGU selects.</summary>
    public IReadOnlyList<string> Selected { get; init; } = [];

    /// <summary>Selected clusters that need none of the CGU's policies: no upgrade, so no backup.</summary>
    public IReadOnlyList<string> Compliant { get; init; } = [];

    /// <summary>Clusters whose pre-caching failed: the CGU leaves them out before the backup.</summary>
    public IReadOnlyList<string> PrecacheFailed { get; init; } = [];

    /// <summary>Why the CGU cannot be resolved (its clusters or policies do not validate), in the condition's words.</summary>
    public string? Error { get; init; }
}

/// <summary>
/// Ours: which clusters a CGU's backup would run on, by the reconcile's own steps (cluster selection, the
/// managed policies' check, the remediation plan) on a copy of the CGU: the plan's clusters, less those whose
/// pre-caching already failed. Nothing the operator does is changed or decided here.
/// </summary>
public static class BackupTargets
{
    public static BackupTargetsResult Resolve(HubSnapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var ctx = new ReconcileContext(snapshot, now, new RandomNameSuffix(Random.Shared));
        var selection = ClusterSelection.Validate(ctx);
        if (selection.Error is not null)
            return new BackupTargetsResult { Error = $"Unable to select clusters: {selection.Error}" };
        var clusters = selection.Clusters;

        var policies = PoliciesInfo.Empty;
        List<string> missingTemplates = [];
        bool valid;
        if (ctx.IsPolicyRollout)
        {
            policies = ManagedPolicies.Check(ctx, clusters);
            valid = policies.AllExist;
        }
        else
        {
            missingTemplates = ManifestWorks.MissingTemplates(ctx);
            valid = missingTemplates.Count == 0;
        }
        if (!valid)
            return new BackupTargetsResult { Selected = clusters, Error = Reconciler.Invalid(ctx, policies, missingTemplates).Message.TrimEnd() };

        var compliant = RemediationPlan.Build(ctx, clusters, policies.Present);
        var planned = RemediationPlan.Clusters(ctx.Status);
        var precache = ctx.Status.Precaching?.Status;
        var precacheFailed = precache is null
            ? []
            : planned.FindAll(c => precache.GetValueOrDefault(c) is PrecacheStates.PrecacheTimeout or PrecacheStates.UnrecoverableError);
        return new BackupTargetsResult
        {
            Clusters = [.. planned.Except(precacheFailed, StringComparer.Ordinal)],
            Selected = clusters,
            Compliant = compliant.Distinct(StringComparer.Ordinal).ToList(),
            PrecacheFailed = precacheFailed,
        };
    }
}
