using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Overrides;

/// <summary>Which objects of a step file a change applies to: kind, and apiVersion, namespace and name when given.</summary>
public sealed record ObjectSelector(string Kind, string? ApiVersion, string? Namespace, string? Name)
{
    /// <param name="defaultNamespace">The namespace of an object that names none (the suite's, as kuttl reads it).</param>
    public bool Matches(JsonObject obj, string defaultNamespace)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (KuttlJson.Kind(obj) != Kind) return false;
        if (ApiVersion is not null && KuttlJson.ApiVersion(obj) != ApiVersion) return false;
        var meta = obj["metadata"] as JsonObject;
        if (Name is not null && (string?)meta?["name"] != Name) return false;
        if (Namespace is not null && ((string?)meta?["namespace"] ?? defaultNamespace) != Namespace) return false;
        return true;
    }

    public override string ToString() =>
        $"{(ApiVersion is null ? string.Empty : ApiVersion + " ")}{Kind}{(Namespace is null && Name is null ? string.Empty : " ")}" +
        $"{(Namespace is null ? string.Empty : Namespace + "/")}{Name}";
}

/// <summary>One change of a delta: drop whole objects, drop a field of them, or set a field of them to our value.</summary>
public abstract record OverrideChange(ObjectSelector Object)
{
    public sealed record RemoveObject(ObjectSelector Object) : OverrideChange(Object);

    public sealed record RemoveField(ObjectSelector Object, FieldPath Path) : OverrideChange(Object);

    public sealed record SetField(ObjectSelector Object, FieldPath Path, JsonNode? Value) : OverrideChange(Object);

    public string Describe() => this switch
    {
        RemoveObject => $"remove {Object}",
        RemoveField r => $"remove {r.Path} of {Object}",
        SetField s => $"set {s.Path} of {Object}",
        _ => ToString(),
    };
}

/// <summary>One deliberate deviation: a delta to the objects of one step's assert (or errors) file in one scenario.</summary>
public sealed record StepOverride(string Name, string Scenario, int Step, StepFileType File, string Reason, IReadOnlyList<OverrideChange> Changes);

/// <summary>
/// Our deliberate deviations from the reference, kept in the repository (<c>conformance/overrides/index.yaml</c>):
/// each names the scenario, the step, the file (assert or errors) and a delta applied at run time to the
/// reference's objects, so nothing of the reference is copied. Every entry has a name and a reason, and every
/// change must find what it changes: one that matches nothing makes the run stop, so a stale override is noticed.
/// </summary>
public sealed partial class OverrideSet
{
    public const string IndexFileName = "index.yaml";

    private static readonly HashSet<string> EntryKeys = ["name", "scenario", "step", "file", "reason", "remove", "removeFields", "set"];

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
            where = $"{index}: override {name}";
            if (!NamePattern().IsMatch(name)) throw new InvalidDataException($"{where}: the name must be lower-case words joined by dashes");
            if (!names.Add(name)) throw new InvalidDataException($"{where}: the name is used twice");
            if (e.Select(p => p.Key).FirstOrDefault(k => !EntryKeys.Contains(k)) is { } unknown)
                throw new InvalidDataException($"{where}: unknown key {unknown} (an entry has {string.Join(", ", EntryKeys)})");
            var reason = Text(e, "reason", where);
            var scenario = Text(e, "scenario", where);
            var step = e["step"] is JsonValue sv && sv.GetValueKind() == JsonValueKind.Number && sv.TryGetValue<long>(out var n) && n is >= 0 and <= int.MaxValue
                ? (int)n
                : throw new InvalidDataException($"{where}: step must be the step's number");
            var file = Text(e, "file", where) switch
            {
                "assert" => StepFileType.Assert,
                "errors" => StepFileType.Errors,
                var other => throw new InvalidDataException($"{where}: file must be assert or errors, not {other}"),
            };
            var changes = new List<OverrideChange>();
            foreach (var (item, at) in Items(e, "remove", where))
                changes.Add(new OverrideChange.RemoveObject(Selector(item, at)));
            foreach (var (item, at) in Items(e, "removeFields", where))
            {
                var selector = Selector(Map(item["object"], $"{at}.object"), $"{at}.object");
                foreach (var path in Paths(item, at)) changes.Add(new OverrideChange.RemoveField(selector, path));
            }
            foreach (var (item, at) in Items(e, "set", where))
            {
                var selector = Selector(Map(item["object"], $"{at}.object"), $"{at}.object");
                if (!item.ContainsKey("value")) throw new InvalidDataException($"{at}: value is required");
                changes.Add(new OverrideChange.SetField(selector, ParsePath(Text(item, "path", at), at), item["value"]));
            }
            if (changes.Count == 0) throw new InvalidDataException($"{where}: no change (remove, removeFields or set)");
            entries.Add(new StepOverride(name, scenario, step, file, reason, changes));
        }
        // The index is the whole of it: a file next to it would be a copy of the reference's, which we do not keep.
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            if (Path.GetRelativePath(dir, f) != IndexFileName)
                throw new InvalidDataException($"{f}: {dir} holds only {IndexFileName}; overrides are deltas in it, not files");
        }
        return new OverrideSet(entries);
    }

    /// <summary>The test with the deltas of its overrides applied; <paramref name="problems"/> gets each entry or change that matched nothing.</summary>
    /// <param name="defaultNamespace">The namespace of an object that names none (the suite's).</param>
    public TestCase Apply(TestCase test, string defaultNamespace, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(problems);
        var mine = Entries.Where(e => e.Scenario == test.Name).ToList();
        if (mine.Count == 0) return test;
        foreach (var e in mine.Where(e => test.Steps.All(s => s.Index != e.Step)))
            problems.Add($"override {e.Name}: {test.Name} has no step {e.Step.ToString("00", CultureInfo.InvariantCulture)}");
        var steps = test.Steps.Select(step =>
        {
            var here = mine.Where(e => e.Step == step.Index).ToList();
            if (here.Count == 0) return step;
            var asserts = step.Asserts.Select(o => (JsonObject)o.DeepClone()).ToList();
            var errors = step.Errors.Select(o => (JsonObject)o.DeepClone()).ToList();
            foreach (var e in here)
            {
                var objects = e.File == StepFileType.Assert ? asserts : errors;
                var label = $"override {e.Name}: {test.Name} step {step.Index.ToString("00", CultureInfo.InvariantCulture)} {(e.File == StepFileType.Assert ? "assert" : "errors")}";
                foreach (var change in e.Changes)
                {
                    if (ApplyChange(change, objects, defaultNamespace) is { } problem)
                        problems.Add($"{label}: {change.Describe()}: {problem}");
                }
            }
            return step with { Asserts = asserts, Errors = errors, Overrides = [.. step.Overrides, .. here.Select(e => e.Name)] };
        }).ToList();
        return test with { Steps = steps };
    }

    /// <summary>Null when done; else why it matched nothing.</summary>
    private static string? ApplyChange(OverrideChange change, List<JsonObject> objects, string defaultNamespace)
    {
        var matched = objects.Where(o => change.Object.Matches(o, defaultNamespace)).ToList();
        if (matched.Count == 0) return "no such object in the reference's file";
        switch (change)
        {
            case OverrideChange.RemoveObject:
                objects.RemoveAll(matched.Contains);
                return null;
            case OverrideChange.RemoveField r:
                var withoutField = matched.Where(o => !r.Path.Remove(o)).ToList();
                return withoutField.Count == 0 ? null : $"{withoutField.Count} of {matched.Count} matching objects have no such field";
            case OverrideChange.SetField s:
                var withoutTarget = matched.Where(o => !s.Path.Replace(o, s.Value)).ToList();
                return withoutTarget.Count == 0 ? null : $"{withoutTarget.Count} of {matched.Count} matching objects have no such field";
            default:
                throw new InvalidOperationException(change.ToString());
        }
    }

    private static IEnumerable<(JsonObject Item, string Where)> Items(JsonObject entry, string key, string where)
    {
        if (entry[key] is null) yield break;
        if (entry[key] is not JsonArray list) throw new InvalidDataException($"{where}: {key} must be a list");
        for (var i = 0; i < list.Count; i++)
            yield return (Map(list[i], $"{where}: {key}[{i}]"), $"{where}: {key}[{i}]");
    }

    private static IEnumerable<FieldPath> Paths(JsonObject item, string where) => (item["path"], item["paths"]) switch
    {
        (not null, null) => [ParsePath(Text(item, "path", where), where)],
        (null, JsonArray list) when list.Count > 0 => list.Select((p, i) => p is JsonValue v && v.TryGetValue<string>(out var s)
            ? ParsePath(s, where)
            : throw new InvalidDataException($"{where}: paths[{i}] must be a string")).ToList(),
        _ => throw new InvalidDataException($"{where}: give path or a list of paths"),
    };

    private static FieldPath ParsePath(string text, string where)
    {
        try
        {
            return FieldPath.Parse(text);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{where}: {e.Message}", e);
        }
    }

    private static ObjectSelector Selector(JsonObject o, string where)
    {
        foreach (var key in o.Select(p => p.Key))
        {
            if (key is not ("apiVersion" or "kind" or "namespace" or "name"))
                throw new InvalidDataException($"{where}: an object is picked by apiVersion, kind, namespace and name, not {key}");
        }

        return new ObjectSelector(Text(o, "kind", where), Optional(o, "apiVersion", where), Optional(o, "namespace", where), Optional(o, "name", where));
    }

    private static JsonObject Map(JsonNode? node, string where) =>
        node as JsonObject ?? throw new InvalidDataException($"{where} must be a mapping");

    private static string? Optional(JsonObject o, string key, string where) =>
        o[key] is null ? null : Text(o, key, where);

    private static string Text(JsonObject o, string key, string where) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0
            ? s.Trim()
            : throw new InvalidDataException($"{where}: {key} is required");

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex NamePattern();
}
