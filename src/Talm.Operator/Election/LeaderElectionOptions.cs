namespace Talm.Operator.Election;

public sealed record LeaderElectionOptions
{
    public required string Namespace { get; init; }
    public string LeaseName { get; init; } = "talm-operator-leader";
    public required string Identity { get; init; }

    // controller-runtime's defaults.
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}
