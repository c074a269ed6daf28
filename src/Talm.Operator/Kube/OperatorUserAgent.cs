using System.Reflection;

namespace Talm.Operator.Kube;

/// <summary>
/// Puts the operator's own User-Agent (<c>talm-operator/&lt;version&gt;</c>) on every request, so that
/// the API server's per-client counters and audit logs tell its requests from everyone else's.
/// </summary>
public sealed class OperatorUserAgent : DelegatingHandler
{
    public const string Product = "talm-operator";

    /// <summary>talm-operator/&lt;version&gt;, the version without its build metadata.</summary>
    public static string Value { get; } = $"{Product}/{Version()}";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.UserAgent.Clear();
        request.Headers.TryAddWithoutValidation("User-Agent", Value);
        return base.SendAsync(request, cancellationToken);
    }

    private static string Version()
    {
        var version = typeof(OperatorUserAgent).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
