namespace Talm.Recovery.Layout;

/// <summary>A committed backup that can be restored: the current one, or an older one kept by <c>backup --keep N</c> (<see cref="BackupDirectory.RestorePoints"/>).</summary>
/// <param name="Id">The generation's name under <c>generations/</c>.</param>
/// <param name="Root">Its directory.</param>
public sealed record RestorePoint(string Id, string Root, bool IsCurrent);
