using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Overrides;

/// <summary>One deliberate deviation: the objects that replace one step's assert (or errors) objects in one scenario.</summary>
public sealed record StepOverride(string Name, string Scenario, int Step, StepFileType Replaces, string File, string Reason, IReadOnlyList<JsonObject> Objects);

/// <summary>
/// Our deliberate deviations from the reference, kept in the repository (conformance/overrides/): an index,
/// <c>index.yaml</c>, names each one and gives its reason; the file <c>&lt;scenario&gt;/&lt;NN&gt;-assert.yaml</c> or
/// <c>&lt;scenario&gt;/&lt;NN&gt;-errors.yaml</c> next to it replaces that step's asserts or errors. A file the index
/// does not list, or an entry without a reason or file, is an error: nothing deviates without a name.
/// </summary>
public sealed partial class OverrideSet
{
    public const string IndexFileName = "index.yaml";

    public IReadOnlyList<StepOverride> Entries { get; }

    private OverrideSet(IReadOnlyList<StepOverride> entries) => Entries = entries;

    public static OverrideSet Empty { get; } = new([]);

    public static OverrideSet Load(string dir)
    {
        var index = Path.Combine(dir, IndexFileName);
        if (!File.Exists(index)) throw new InvalidDataException($"{index}: the overrides index is missing");
        var doc = KuttlYaml.ParseDocuments(File.ReadAllText(index)).FirstOrDefault();
        var list = doc switch
        {
            null => [],
            JsonObject o when o["overrides"] is null => [],
            JsonObject o when o["overrides"] is JsonArray a => a,
            _ => throw new InvalidDataException($"{index}: expected a mapping with an overrides: list"),
        };
        var entries = new List<StepOverride>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var where = $"{index}: overrides[{i}]";
            if (list[i] is not JsonObject e) throw new InvalidDataException($"{where} is not a mapping");
            var name = Text(e, "name", where);
            if (!NamePattern().IsMatch(name)) throw new InvalidDataException($"{where}: name \"{name}\" must be lower-case words joined by dashes");
            if (!names.Add(name)) throw new InvalidDataException($"{where}: the name {name} is used twice");
            var reason = Text(e, "reason", where);
            var file = Text(e, "file", where).Replace('\\', '/');
            var m = FilePattern().Match(file);
            if (!m.Success) throw new InvalidDataException($"{where}: file \"{file}\" must be <scenario>/<NN>-assert.yaml or <scenario>/<NN>-errors.yaml");
            var full = Path.Combine(dir, file);
            if (!File.Exists(full)) throw new InvalidDataException($"{where}: {full} does not exist");
            entries.Add(new StepOverride(
                name,
                m.Groups["scenario"].Value,
                int.Parse(m.Groups["step"].Value, CultureInfo.InvariantCulture),
                m.Groups["what"].Value == "assert" ? StepFileType.Assert : StepFileType.Errors,
                file,
                reason,
                KuttlYaml.ReadObjects(full)));
        }
        var listed = entries.Select(e => e.File).ToHashSet(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir, "*.yaml", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(dir, f).Replace('\\', '/');
            if (relative != IndexFileName && !listed.Contains(relative))
                throw new InvalidDataException($"{f}: not listed in {index}; every override needs a name and a reason there");
        }
        var twice = entries.GroupBy(e => (e.Scenario, e.Step, e.Replaces)).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InvalidDataException($"{index}: {string.Join(" and ", twice.Select(e => e.Name))} replace the same file");
        return new OverrideSet(entries);
    }

    /// <summary>The test with its overridden steps; <paramref name="unused"/> gets the overrides of this test that match no step.</summary>
    public TestCase Apply(TestCase test, ICollection<string> unused)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(unused);
        var mine = Entries.Where(e => e.Scenario == test.Name).ToList();
        if (mine.Count == 0) return test;
        var steps = test.Steps.Select(step =>
        {
            var here = mine.Where(e => e.Step == step.Index).ToList();
            if (here.Count == 0) return step;
            foreach (var e in here) mine.Remove(e);
            return step with
            {
                Asserts = here.FirstOrDefault(e => e.Replaces == StepFileType.Assert)?.Objects ?? step.Asserts,
                Errors = here.FirstOrDefault(e => e.Replaces == StepFileType.Errors)?.Objects ?? step.Errors,
                Overrides = [.. step.Overrides, .. here.Select(e => e.Name)],
            };
        }).ToList();
        foreach (var e in mine) unused.Add($"override {e.Name}: {test.Name} has no step {e.Step.ToString("00", CultureInfo.InvariantCulture)}");
        return test with { Steps = steps };
    }

    private static string Text(JsonObject o, string key, string where) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0
            ? s.Trim()
            : throw new InvalidDataException($"{where}: {key} is required");

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(?<scenario>[^/]+)/(?<step>\d+)-(?<what>assert|errors)\.yaml$")]
    private static partial Regex FilePattern();
}
