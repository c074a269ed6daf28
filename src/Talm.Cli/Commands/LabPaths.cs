using Talm.Lab.Run;
using Talm.Lab.Spokes;

namespace Talm.Cli.Commands;

/// <summary>Where the lab finds its CRDs and keeps its state.</summary>
internal static class LabPaths
{
    /// <summary>Shared by <c>lab up</c> and <c>lab recover</c>, so recovery finds the spokes of the last run.</summary>
    public static string DefaultDir => Path.Combine(Path.GetTempPath(), "talm-lab");

    /// <summary>The CRD manifests: the CGU's (deploy/crds) and the lab's RHACM kinds (deploy/lab-crds).</summary>
    public static IReadOnlyList<string> CrdFiles()
    {
        var root = RepoRoot() ?? throw new FileNotFoundException(
            "Cannot find the repository's deploy/ folder (with the CRDs) above " + AppContext.BaseDirectory +
            " or the current directory; run talm from a clone of the repository (./talm lab up).");
        var files = new List<string>();
        foreach (var dir in new[] { "deploy/crds", "deploy/lab-crds" })
        {
            var full = Path.Combine(root, dir);
            if (Directory.Exists(full)) files.AddRange(Directory.GetFiles(full, "*.yaml").Order(StringComparer.Ordinal));
        }
        return files;
    }

    /// <summary>How the lab runs this very program for the spokes' agents and recovery (apphost, or dotnet + talm.dll).</summary>
    public static FullSpokeSettings TalmSettings()
    {
        var exe = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(exe) == "dotnet"
            // Under dotnet the program is talm.dll in the app directory (Assembly.Location is empty in a single file).
            ? new FullSpokeSettings { TalmFile = exe, TalmPrefix = [Path.Combine(AppContext.BaseDirectory, Program.Name + ".dll")] }
            : new FullSpokeSettings { TalmFile = exe };
    }

    /// <summary>How the lab runs this very program as the hub operator (<c>--operator process</c>).</summary>
    public static OperatorProcessSettings OperatorProcess()
    {
        var talm = TalmSettings();
        return new OperatorProcessSettings { TalmFile = talm.TalmFile, TalmPrefix = talm.TalmPrefix };
    }

    public static string? RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Talm.slnx")) && Directory.Exists(Path.Combine(dir.FullName, "deploy")))
                    return dir.FullName;
            }
        }
        return null;
    }
}
