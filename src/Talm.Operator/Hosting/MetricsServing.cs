namespace Talm.Operator.Hosting;

/// <summary>How /metrics is served: HTTPS with <paramref name="Certificate"/> (else plain HTTP), behind <paramref name="Auth"/> (else open).</summary>
public sealed record MetricsServing(ServingCertificate? Certificate, MetricsAuthFilter? Auth)
{
    public static MetricsServing Plain { get; } = new(null, null);

    public bool Secure => Certificate is not null;
}
