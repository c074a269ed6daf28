using Talm.Recovery.Ostree;

namespace Talm.Recovery.Rollback;

/// <summary>What the rollback table of docs/recovery.md calls for, given the deployment list.</summary>
public enum RollbackAction
{
    /// <summary>The pinned deployment already boots next: the OS is the pre-upgrade one.</summary>
    None,

    /// <summary>The pinned deployment is the rollback standby: make it the default.</summary>
    MakeDefault,

    /// <summary>Unpinned standbys sit between the current and the pinned deployment: undeploy them, then make it the default.</summary>
    UndeployThenMakeDefault,

    /// <summary>No deployment is pinned: there is nothing known-good to go back to.</summary>
    NoPinnedDeployment,
}

public sealed record RollbackPlan(
    RollbackAction Action,
    OstreeDeployment? Pinned,
    OstreeDeployment? Current,
    IReadOnlyList<OstreeDeployment> ToUndeploy,
    IReadOnlyList<OstreeDeployment> NewOrder)
{
    /// <summary>One line for status output and logs.</summary>
    public string Describe() => Action switch
    {
        RollbackAction.None => "OS unchanged, no rollback",
        RollbackAction.MakeDefault => $"make pinned deployment {Pinned!.Id} the default and reboot",
        RollbackAction.UndeployThenMakeDefault =>
            $"undeploy {string.Join(", ", ToUndeploy.Select(d => d.Id))}, then make pinned deployment {Pinned!.Id} the default and reboot",
        _ => "no deployment is pinned: rollback impossible",
    };
}
