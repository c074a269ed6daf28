namespace Talm.Bundle;

/// <summary>The bundle directory against what the generator makes.</summary>
public static class BundleFiles
{
    public static List<string> Differences(string bundleDir, SortedDictionary<string, string> files)
    {
        var differ = new List<string>();
        foreach (var (path, content) in files)
        {
            var file = Path.Combine(bundleDir, path);
            if (!File.Exists(file)) differ.Add($"{path}: missing");
            else if (File.ReadAllText(file) != content) differ.Add($"{path}: differs");
        }
        if (Directory.Exists(bundleDir))
        {
            foreach (var file in Directory.GetFiles(bundleDir, "*", SearchOption.AllDirectories))
            {
                var path = Path.GetRelativePath(bundleDir, file).Replace('\\', '/');
                if (!files.ContainsKey(path)) differ.Add($"{path}: not made from deploy/");
            }
        }
        return differ;
    }

    /// <summary>Replaces bundle/ with exactly these files.</summary>
    public static void Write(string bundleDir, SortedDictionary<string, string> files)
    {
        if (Directory.Exists(bundleDir)) Directory.Delete(bundleDir, recursive: true);
        foreach (var (path, content) in files)
        {
            var file = Path.Combine(bundleDir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, content);
        }
    }
}
