namespace Talm.Recovery.Verify;

/// <summary>What <see cref="BackupVerifier"/> found; the backup is intact only when <see cref="Problems"/> is empty.</summary>
public sealed record VerifyReport(string BackupRoot, IReadOnlyList<string> Problems, long FilesChecked, long BytesChecked)
{
    public bool Intact => Problems.Count == 0;
}
