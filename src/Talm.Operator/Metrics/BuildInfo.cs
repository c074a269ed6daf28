using System.Reflection;

namespace Talm.Operator.Metrics;

/// <summary>
/// The version and commit the operator was built from, as the SDK stamps them into the assembly's
/// informational version ("1.2.3+0123abcd..."); "unknown" for what is not stamped.
/// </summary>
public sealed record BuildInfo(string Version, string Commit)
{
    public static BuildInfo Current { get; } = Parse(typeof(BuildInfo).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    public static BuildInfo Parse(string? informational)
    {
        if (string.IsNullOrWhiteSpace(informational)) return new BuildInfo("unknown", "unknown");
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0
            ? new BuildInfo(informational, "unknown")
            : new BuildInfo(informational[..plus], informational[(plus + 1)..] is { Length: > 0 } c ? c : "unknown");
    }
}
