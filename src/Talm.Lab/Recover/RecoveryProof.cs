namespace Talm.Lab.Recover;

/// <summary>What <c>lab recover</c> checked after the recovery, and what it found wrong (nothing, when it worked).</summary>
public sealed record RecoveryProof(
    bool PinnedIsDefault,
    string DefaultDeployment,
    IReadOnlyList<string> TreeProblems,
    int EtcdKeys,
    IReadOnlyList<string> EtcdProblems)
{
    public bool Ok => PinnedIsDefault && TreeProblems.Count == 0 && EtcdProblems.Count == 0;
}
