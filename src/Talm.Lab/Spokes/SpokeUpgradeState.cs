namespace Talm.Lab.Spokes;

/// <summary>Where a spoke is with a policy it was told to enforce.</summary>
public enum SpokeUpgradeState
{
    NotStarted,
    Upgrading,
    Upgraded,
    Broken,
}
