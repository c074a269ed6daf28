namespace Talm.Lab.Spokes;

/// <summary>What goes wrong on one spoke, as asked on the command line.</summary>
public sealed record SpokeFaults(bool FailBackup = false, bool SlowBackup = false, bool Unreachable = false, bool FailUpgrade = false)
{
    public static readonly SpokeFaults None = new();
}
