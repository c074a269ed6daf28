using System.Reflection;

namespace Talm.Api.Build;

/// <summary>
/// The version this build of talm carries, stamped at build time from the git tag and commit (MinVer, see
/// Directory.Build.props). The one place the version is read: <c>talm --version</c>, the operator's start line and
/// its build-info metric all take it from here. A build outside a git checkout (a source tarball) has no commit and
/// says so.
/// </summary>
public sealed record BuildVersion(string Version, string? Commit)
{
    /// <summary>This build's version: every talm assembly is stamped with the same one.</summary>
    public static BuildVersion Current { get; } = FromInformationalVersion(
        typeof(BuildVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>True when the build knew its git commit.</summary>
    public bool FromGit => Commit is not null;

    /// <summary>SemVer with the commit as build metadata (<c>0.1.0-alpha.0.282+3056f68...</c>): what a backup manifest records.</summary>
    public string Informational => Commit is null ? Version : $"{Version}+{Commit}";

    /// <summary>The commit shortened as <c>git log --oneline</c> shows it; <c>unknown</c> without one.</summary>
    public string ShortCommit => Commit is null ? "unknown" : Commit[..Math.Min(7, Commit.Length)];

    /// <summary>
    /// Reads an informational version such as <c>0.1.0-alpha.0.282+3056f68...</c>: the SemVer before the <c>+</c>,
    /// the commit after it (the SDK appends the commit id there when it builds from git).
    /// </summary>
    public static BuildVersion FromInformationalVersion(string? informational)
    {
        if (string.IsNullOrWhiteSpace(informational))
        {
            return new BuildVersion("0.0.0", null);
        }

        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            return new BuildVersion(informational, null);
        }

        // Build metadata may hold more than the commit (dot-separated); the commit is its last hex part.
        var metadata = informational[(plus + 1)..].Split('.');
        var commit = metadata.LastOrDefault(IsCommitId);
        return new BuildVersion(informational[..plus], commit);
    }

    /// <summary>One line for <c>--version</c> and logs: the version and the commit, or why there is none.</summary>
    public override string ToString() =>
        Commit is null ? $"{Version} (commit unknown: built outside a git checkout)" : $"{Version} (commit {ShortCommit})";

    private static bool IsCommitId(string part) =>
        part.Length is >= 7 and <= 64 && part.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
