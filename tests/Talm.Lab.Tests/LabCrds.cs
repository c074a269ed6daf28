namespace Talm.Lab.Tests;

/// <summary>
/// The CRDs the lab hub serves: the shared ones in the repository's deploy/ folders when present,
/// otherwise the minimal RHACM fixture of this test project.
/// </summary>
internal static class LabCrds
{
    public static IReadOnlyList<string> Files()
    {
        var root = RepoRoot();
        var files = new List<string>();
        foreach (var dir in new[] { "deploy/crds", "deploy/lab-crds" })
        {
            var full = Path.Combine(root, dir);
            if (Directory.Exists(full)) files.AddRange(Directory.GetFiles(full, "*.yaml").Order(StringComparer.Ordinal));
        }
        if (!files.Any(f => f.Contains("lab-crds", StringComparison.Ordinal)))
            files.Add(Path.Combine(AppContext.BaseDirectory, "Fixtures", "rhacm-crds.yaml"));
        return files;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Talm.slnx) above the test binaries");
    }
}
