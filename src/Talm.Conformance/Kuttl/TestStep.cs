using System.Globalization;
using System.Text.Json.Nodes;

namespace Talm.Conformance.Kuttl;

/// <summary>
/// One numbered step of a kuttl test: the files <c>NN-*</c> that share a number. In kuttl's order it runs its
/// TestStep commands, applies the other objects of its apply files, then waits until every assert object
/// matches and no errors object does.
/// </summary>
public sealed record TestStep
{
    public required int Index { get; init; }

    /// <summary>From the first apply file (<c>00-setup.yaml</c> gives <c>setup</c>) or the TestStep's metadata.name.</summary>
    public string Name { get; init; } = string.Empty;

    public IReadOnlyList<string> Files { get; init; } = [];

    public IReadOnlyList<TestCommand> Commands { get; init; } = [];

    public IReadOnlyList<JsonObject> Apply { get; init; } = [];

    public IReadOnlyList<JsonObject> Asserts { get; init; } = [];

    public IReadOnlyList<JsonObject> Errors { get; init; } = [];

    /// <summary>Names of the overrides that replaced this step's asserts or errors.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>How it is named in output: the number as in the file names, and the step name.</summary>
    public string Label => Name.Length > 0
        ? $"{Index.ToString("00", CultureInfo.InvariantCulture)}-{Name}"
        : Index.ToString("00", CultureInfo.InvariantCulture);

    /// <summary>Builds a step from its files, read in the order given (kuttl: directory order).</summary>
    public static TestStep Load(int index, IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var name = string.Empty;
        var commands = new List<TestCommand>();
        var apply = new List<JsonObject>();
        var asserts = new List<JsonObject>();
        var errors = new List<JsonObject>();
        JsonObject? testStep = null;
        foreach (var file in files)
        {
            var parsed = StepFileName.Parse(file);
            if (parsed.Type == StepFileType.Unknown) throw new InvalidDataException($"{file}: not a kuttl step file name (NN-name.yaml)");
            if (parsed.IsTemplate) throw new NotSupportedException($"{file}: kuttl templates (.gotmpl.yaml) are not supported by this runner");
            var objects = KuttlYaml.ReadObjects(file);
            foreach (var obj in objects)
            {
                var kind = KuttlJson.Kind(obj);
                if (KuttlJson.IsKuttl(obj))
                {
                    switch (kind, parsed.Type)
                    {
                        case ("TestStep", StepFileType.Apply):
                            if (testStep is not null) throw new InvalidDataException($"{file}: more than 1 TestStep not allowed in step {index}");
                            testStep = obj;
                            RejectUnsupported(obj, file);
                            commands.AddRange(TestCommand.ListFromJson(obj, file));
                            var dir = Path.GetDirectoryName(file)!;
                            apply.AddRange(FromPaths(KuttlJson.Strings(obj, "apply", file), dir));
                            asserts.AddRange(FromPaths(KuttlJson.Strings(obj, "assert", file), dir));
                            errors.AddRange(FromPaths(KuttlJson.Strings(obj, "error", file), dir));
                            if (obj["metadata"] is JsonObject meta && KuttlJson.String(meta, "name", file) is { Length: > 0 } n) name = n;
                            continue;
                        case ("TestFile", _):
                            throw new NotSupportedException($"{file}: TestFile (run-label selection) is not supported by this runner");
                        case ("TestAssert", StepFileType.Assert):
                            throw new NotSupportedException($"{file}: TestAssert (assert commands, collectors, expressions) is not supported by this runner");
                    }
                }
                switch (parsed.Type)
                {
                    case StepFileType.Apply: apply.Add(obj); break;
                    case StepFileType.Assert: asserts.Add(obj); break;
                    case StepFileType.Errors: errors.Add(obj); break;
                }
            }
            if (parsed.Type == StepFileType.Apply && name.Length == 0) name = parsed.StepName;
        }
        return new TestStep
        {
            Index = index,
            Name = name,
            Files = files,
            Commands = commands,
            Apply = apply,
            Asserts = asserts,
            Errors = errors,
        };
    }

    private static void RejectUnsupported(JsonObject step, string file)
    {
        foreach (var key in (string[])["delete", "kubeconfig", "kubeconfigLoading", "context"])
        {
            if (step[key] is not null)
                throw new NotSupportedException($"{file}: TestStep.{key} is not supported by this runner");
        }

        if (step["unitTest"] is JsonValue v && v.TryGetValue<bool>(out var b) && b)
            throw new NotSupportedException($"{file}: TestStep.unitTest is not supported by this runner");
    }

    /// <summary>TestStep apply/assert/error entries: a file or every *.yaml in a folder, relative to the test folder.</summary>
    private static IEnumerable<JsonObject> FromPaths(IReadOnlyList<string> paths, string dir)
    {
        foreach (var raw in paths)
        {
            if (raw.Contains("://", StringComparison.Ordinal)) throw new NotSupportedException($"{raw}: URLs in TestStep are not supported by this runner");
            var path = Path.Combine(dir, EnvExpand.Expand(raw, Environment.GetEnvironmentVariable));
            var files = Directory.Exists(path)
                ? Directory.GetFiles(path, "*.yaml").Order(StringComparer.Ordinal)
                : (IEnumerable<string>)[path];
            foreach (var f in files)
            {
                foreach (var o in KuttlYaml.ReadObjects(f))
                    yield return o;
            }
        }
    }
}
