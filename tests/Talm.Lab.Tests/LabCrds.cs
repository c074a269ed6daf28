namespace Talm.Lab.Tests;

/// <summary>The CRDs the lab hub serves: the CGU's (deploy/crds) and the lab's RHACM kinds (deploy/lab-crds).</summary>
internal static class LabCrds
{
    public static IReadOnlyList<string> Files()
    {
        var root = RepoRoot();
        return [.. new[] { "deploy/crds", "deploy/lab-crds" }
            .SelectMany(d => Directory.GetFiles(Path.Combine(root, d), "*.yaml").Order(StringComparer.Ordinal))];
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Talm.slnx) above the test binaries");
    }
}
