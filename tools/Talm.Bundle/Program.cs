using System.Text.RegularExpressions;
using Talm.Bundle;

// talm-bundle --repo DIR [--version X.Y.Z] [--check]: writes DIR/bundle from DIR/deploy, or with
// --check says whether DIR/bundle is what deploy/ makes (exit 1 and the files that differ if not).
string repo = ".", version = "";
var check = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--repo" when i + 1 < args.Length: repo = args[++i]; break;
        case "--version" when i + 1 < args.Length: version = args[++i]; break;
        case "--check": check = true; break;
        default:
            Console.Error.WriteLine("usage: talm-bundle --repo DIR [--version X.Y.Z] [--check]");
            return 2;
    }
}
var bundleDir = Path.Combine(repo, "bundle");
if (version.Length == 0) version = CurrentVersion(bundleDir) ?? "0.1.0";
SortedDictionary<string, string> files;
try
{
    files = BundleGenerator.Generate(repo, version);
}
catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or Talm.Api.Json.YamlJsonException)
{
    Console.Error.WriteLine($"talm-bundle: {e.Message}");
    return 2;
}
var differ = BundleFiles.Differences(bundleDir, files);
if (check)
{
    foreach (var d in differ) Console.Error.WriteLine($"talm-bundle: {d}");
    if (differ.Count > 0) Console.Error.WriteLine("talm-bundle: bundle/ is not what deploy/ makes; run scripts/bundle.sh");
    return differ.Count == 0 ? 0 : 1;
}
BundleFiles.Write(bundleDir, files);
Console.WriteLine($"bundle/ for {CsvMetadata.Package} {version}: {files.Count} files{(differ.Count == 0 ? ", unchanged" : $", {differ.Count} changed")}");
return 0;

static string? CurrentVersion(string bundleDir)
{
    var csv = Path.Combine(bundleDir, BundleGenerator.CsvFile);
    if (!File.Exists(csv)) return null;
    var match = Regex.Match(File.ReadAllText(csv), @"(?m)^  version: (\S+)$");
    return match.Success ? match.Groups[1].Value : null;
}
