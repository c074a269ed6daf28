namespace Talm.Lab.Recover;

/// <summary>What <c>lab recover</c> checked after the recovery, and what it found wrong (nothing, when it worked).</summary>
public sealed record RecoveryProof(
    bool PinnedIsDefault,
    string DefaultDeployment,
    IReadOnlyList<string> TreeProblems,
    int EtcdKeys,
    IReadOnlyList<string> EtcdProblems)
{
    /// <summary>With <c>--unattended</c>: what was wrong with the unit's run and its recorded result.</summary>
    public IReadOnlyList<string> UnattendedProblems { get; init; } = [];

    public bool Ok => PinnedIsDefault && TreeProblems.Count == 0 && EtcdProblems.Count == 0 && UnattendedProblems.Count == 0;
}
