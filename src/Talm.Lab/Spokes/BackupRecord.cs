namespace Talm.Lab.Spokes;

/// <summary>What the spoke itself saw of its last backup Job run: for the lab's summary.</summary>
public sealed record BackupRecord(TimeSpan Duration, long SizeBytes, int ExitCode, string? Detail = null);
