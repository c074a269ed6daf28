using System.Text.Json.Nodes;
using Talm.Api.Json;

namespace Talm.Api.Tests;

/// <summary>
/// <c>kubectl explain</c> shows what each field means only if the CRD says so: every property of every schema in
/// deploy/crds, at every depth (spec and status, inside arrays and maps), must carry a description.
/// </summary>
public sealed class CrdDescriptionTests
{
    private static List<string> CrdFiles() =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "crds"), "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> Crds() => new(CrdFiles());

    [Fact]
    public void Both_of_our_crds_are_checked()
    {
        Assert.Equal(["ran.openshift.io_clustergroupupgrades.yaml", "ran.openshift.io_precachingconfigs.yaml"], CrdFiles());
    }

    [Theory]
    [MemberData(nameof(Crds))]
    public void Every_property_has_a_description(string file)
    {
        var crd = (JsonObject)YamlJson.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "crds", file)))!;
        var missing = new List<string>();
        var seen = 0;
        foreach (var version in crd["spec"]!["versions"]!.AsArray())
        {
            var root = (JsonObject)version!["schema"]!["openAPIV3Schema"]!;
            if (!HasDescription(root))
            {
                missing.Add($"{version["name"]}: (root)");
            }

            Walk(root, $"{version["name"]}:", missing, ref seen);
        }

        Assert.True(seen > 0, "no properties found: the walk is broken");
        Assert.True(missing.Count == 0, $"{missing.Count} of {seen} properties lack a description:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void The_walk_finds_what_lacks_a_description_however_deep()
    {
        var schema = (JsonObject)JsonNode.Parse("""
            {"type": "object", "description": "root", "properties": {
              "a": {"type": "array", "description": "a", "items": {"type": "object", "properties": {"b": {"type": "string"}}}},
              "m": {"type": "object", "description": "m", "additionalProperties": {"type": "object", "properties": {"c": {"type": "integer", "description": " "}}}}}}
            """)!;
        var missing = new List<string>();
        var seen = 0;
        Walk(schema, "", missing, ref seen);
        Assert.Equal(4, seen);
        Assert.Equal([".a[].b", ".m{}.c"], missing);
    }

    [Fact]
    public void Backup_carries_the_deprecation_warning()
    {
        var crd = (JsonObject)YamlJson.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "crds", "ran.openshift.io_clustergroupupgrades.yaml")))!;
        var backup = (string?)crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!["backup"]!["description"];
        Assert.NotNull(backup);
        Assert.Contains("Deprecated", backup, StringComparison.Ordinal);
        Assert.Contains("ImageBasedGroupUpgrade", backup, StringComparison.Ordinal);
    }

    private static void Walk(JsonObject schema, string path, List<string> missing, ref int seen)
    {
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, node) in properties)
            {
                var property = (JsonObject)node!;
                seen++;
                var here = $"{path}.{name}";
                if (!HasDescription(property))
                {
                    missing.Add(here);
                }

                Walk(property, here, missing, ref seen);
            }
        }

        if (schema["items"] is JsonObject items)
        {
            Walk(items, path + "[]", missing, ref seen);
        }

        if (schema["additionalProperties"] is JsonObject values)
        {
            Walk(values, path + "{}", missing, ref seen);
        }
    }

    private static bool HasDescription(JsonObject schema) => schema["description"] is JsonValue v && !string.IsNullOrWhiteSpace((string?)v);
}
