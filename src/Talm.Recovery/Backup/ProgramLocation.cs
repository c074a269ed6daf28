namespace Talm.Recovery.Backup;

/// <summary>
/// The running talm, so the backup can carry it to the node (no SDK needed there): either an app
/// directory run as <c>dotnet &lt;dir&gt;/talm.dll</c>, or a self-contained executable.
/// </summary>
public sealed record ProgramLocation(string Directory, string EntryFile)
{
    /// <summary>True when the entry is a .dll that needs <c>dotnet</c> to run.</summary>
    public bool NeedsDotnet => EntryFile.EndsWith(".dll", StringComparison.Ordinal);
}
