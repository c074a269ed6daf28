namespace Talm.Conformance.Kuttl;

/// <summary>
/// A kuttl test: one folder of a test directory (the reference calls them scenarios). Its steps are the
/// <c>NN-*</c> entries grouped by number and run in numeric order; an entry may be a folder of files.
/// </summary>
public sealed record TestCase(string Name, string Dir, IReadOnlyList<TestStep> Steps)
{
    public static TestCase Load(string dir, IReadOnlyList<string> ignorePatterns)
    {
        ArgumentNullException.ThrowIfNull(ignorePatterns);
        var groups = new SortedDictionary<int, List<string>>();
        // kuttl reads the folder in name order (Go's os.ReadDir sorts by name).
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(entry);
            if (ignorePatterns.Any(p => Glob.Matches(p, name))) continue;
            var parsed = StepFileName.Parse(name);
            if (parsed.Type == StepFileType.Unknown || parsed.Index is not { } index) continue;
            if (!groups.TryGetValue(index, out var files)) groups[index] = files = [];
            if (Directory.Exists(entry)) files.AddRange(Directory.EnumerateFileSystemEntries(entry).Order(StringComparer.Ordinal));
            else files.Add(entry);
        }
        var steps = groups.Select(g => TestStep.Load(g.Key, g.Value)).ToList();
        return new TestCase(Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), dir, steps);
    }
}
