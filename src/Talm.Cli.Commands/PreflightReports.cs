using Talm.Api.Agent;
using Talm.Recovery.Backup;

namespace Talm.Cli.Commands;

/// <summary>
/// <c>backup --dry-run</c>'s findings in the words and exit codes the agent prints and publishes: one place
/// for the name of each check and the code it gives when it fails (docs/recovery.md lists them).
/// </summary>
public static class PreflightReports
{
    public static string Name(PreflightCheck check) => check switch
    {
        PreflightCheck.Recovery => PreflightCheckNames.Recovery,
        PreflightCheck.Space => PreflightCheckNames.Space,
        PreflightCheck.Etcd => PreflightCheckNames.Etcd,
        PreflightCheck.Previous => PreflightCheckNames.Previous,
        _ => PreflightCheckNames.Pin,
    };

    /// <summary>The exit code of a pre-flight whose first failed check is <paramref name="check"/>.</summary>
    public static int ExitCode(PreflightCheck check) => check switch
    {
        PreflightCheck.Space => ExitCodes.InsufficientSpace,
        PreflightCheck.Etcd => ExitCodes.BackupFailed,
        PreflightCheck.Previous => ExitCodes.PreviousBackupDamaged,
        PreflightCheck.Pin => ExitCodes.PinImpossible,
        _ => ExitCodes.RecoveryUnderWay,
    };

    /// <summary>The report published on the Job for these findings.</summary>
    public static PreflightReport From(IReadOnlyList<PreflightFinding> findings, long spaceMargin, DateTimeOffset completedAt)
    {
        ArgumentNullException.ThrowIfNull(findings);
        var failed = findings.FirstOrDefault(f => !f.Ok);
        var space = findings.FirstOrDefault(f => f.Check == PreflightCheck.Space);
        return new PreflightReport
        {
            Ok = failed is null,
            ExitCode = failed is null ? ExitCodes.Success : ExitCode(failed.Check),
            SpaceNeededBytes = space?.NeededBytes,
            SpaceMarginBytes = space is null ? null : spaceMargin,
            SpaceFreeBytes = space?.FreeBytes,
            PreviousGeneration = findings.FirstOrDefault(f => f.Check == PreflightCheck.Previous)?.Generation,
            Checks = [.. findings.Select(f => new PreflightCheckResult
            {
                Name = Name(f.Check),
                Ok = f.Ok,
                ExitCode = ExitCode(f.Check),
                Message = PreflightReport.Cut(f.Message, PreflightReport.MaxMessage),
            })],
            CompletedAt = completedAt,
        };
    }
}
