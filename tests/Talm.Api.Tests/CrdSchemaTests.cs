using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Meta;

namespace Talm.Api.Tests;

/// <summary>The CRD file and the models must describe the same fields (both ways) with the contract's defaults.</summary>
public sealed class CrdSchemaTests
{
    private static readonly JsonObject Crd = (JsonObject)YamlJson.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "crds", "ran.openshift.io_clustergroupupgrades.yaml")))!;

    private static JsonObject Version => (JsonObject)Crd["spec"]!["versions"]![0]!;

    private static JsonObject Root => (JsonObject)Version["schema"]!["openAPIV3Schema"]!;

    [Fact]
    public void Names_scope_and_version_match_the_contract()
    {
        var spec = Crd["spec"]!;
        Assert.Equal(Kinds.ClusterGroupUpgrade.Group, (string?)spec["group"]);
        Assert.Equal($"{Kinds.ClusterGroupUpgrade.Plural}.{Kinds.ClusterGroupUpgrade.Group}", (string?)Crd["metadata"]!["name"]);
        Assert.Equal(Kinds.ClusterGroupUpgrade.Kind, (string?)spec["names"]!["kind"]);
        Assert.Equal(ClusterGroupUpgrade.ListKind, (string?)spec["names"]!["listKind"]);
        Assert.Equal(Kinds.ClusterGroupUpgrade.Plural, (string?)spec["names"]!["plural"]);
        Assert.Equal(ClusterGroupUpgrade.Singular, (string?)spec["names"]!["singular"]);
        Assert.Equal(ClusterGroupUpgrade.ShortName, (string?)spec["names"]!["shortNames"]![0]);
        Assert.Equal("Namespaced", (string?)spec["scope"]);
        Assert.Single(spec["versions"]!.AsArray());
        Assert.Equal(Kinds.ClusterGroupUpgrade.Version, (string?)Version["name"]);
        Assert.True((bool)Version["served"]! && (bool)Version["storage"]!);
        Assert.NotNull(Version["subresources"]!["status"]);
    }

    [Fact]
    public void Printer_columns_show_age_and_the_last_condition()
    {
        var columns = Version["additionalPrinterColumns"]!.AsArray()
            .Select(c => ((string?)c!["name"], (string?)c["type"], (string?)c["jsonPath"])).ToList();
        Assert.Equal(
            [("Age", "date", ".metadata.creationTimestamp"), ("State", "string", ".status.conditions[-1:].reason"), ("Details", "string", ".status.conditions[-1:].message")],
            columns);
    }

    [Theory]
    [InlineData("spec.enable", true)]
    [InlineData("spec.backup", false)]
    [InlineData("spec.preCaching", false)]
    [InlineData("spec.remediationStrategy.timeout", 240)]
    [InlineData("spec.actions.afterCompletion.deleteObjects", true)]
    public void Defaults_are_the_contract_defaults(string path, object expected)
    {
        var node = At(path)["default"];
        Assert.NotNull(node);
        Assert.Equal(expected.ToString(), node!.ToString(), ignoreCase: true);
    }

    [Fact]
    public void Required_fields_are_required()
    {
        Assert.Equal(["remediationStrategy"], At("spec")["required"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["maxConcurrency"], At("spec.remediationStrategy")["required"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public void Every_model_field_is_in_the_schema_and_every_schema_field_in_the_model()
    {
        var problems = new List<string>();
        Compare(typeof(ClusterGroupUpgradeSpec), (JsonObject)Root["properties"]!["spec"]!, "spec", problems);
        Compare(typeof(ClusterGroupUpgradeStatus), (JsonObject)Root["properties"]!["status"]!, "status", problems);
        var top = Root["properties"]!.AsObject().Select(p => p.Key).Order().ToList();
        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "status"], top);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static JsonObject At(string path)
    {
        JsonNode node = Root;
        foreach (var part in path.Split('.'))
            node = node["properties"]![part]!;
        return (JsonObject)node;
    }

    private static void Compare(Type type, JsonObject schema, string path, List<string> problems)
    {
        var info = KubeJson.Options.GetTypeInfo(type);
        var modelProps = info.Properties.Where(p => p.Get is not null && !IsExtension(p)).ToDictionary(p => p.Name);
        var schemaProps = schema["properties"]?.AsObject() ?? new JsonObject();
        if ((string?)schema["type"] != "object")
            problems.Add($"{path}: schema type is not object");
        foreach (var name in modelProps.Keys.Where(k => !schemaProps.ContainsKey(k)))
            problems.Add($"{path}.{name}: in the model, not in the schema");
        foreach (var (name, _) in schemaProps.Where(p => !modelProps.ContainsKey(p.Key)))
            problems.Add($"{path}.{name}: in the schema, not in the model");
        foreach (var (name, prop) in modelProps)
        {
            if (schemaProps[name] is JsonObject sub)
                CompareValue(prop.PropertyType, sub, $"{path}.{name}", problems);
        }
    }

    private static bool IsExtension(JsonPropertyInfo p) => p.IsExtensionData;

    private static void CompareValue(Type type, JsonObject schema, string path, List<string> problems)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(JsonElement))
        {
            // Kept as RHACM reports it: the schema describes it, the model carries it whole.
            if ((string?)schema["type"] != "object" || schema["properties"] is not JsonObject { Count: > 0 })
                problems.Add($"{path}: carried whole by the model, but the schema gives it no object shape");
            return;
        }
        var expected = SchemaType(type);
        var actual = (string?)schema["type"];
        if (expected != actual)
        {
            problems.Add($"{path}: model says {expected}, schema says {actual}");
            return;
        }
        switch (expected)
        {
            case "array":
                CompareValue(ElementType(type), (JsonObject)schema["items"]!, path + "[]", problems);
                break;
            case "object" when MapValueType(type) is { } valueType:
                if (schema["additionalProperties"] is JsonObject ap)
                    CompareValue(valueType, ap, path + "{}", problems);
                else
                    problems.Add($"{path}: a map in the model but no additionalProperties in the schema");
                break;
            case "object":
                Compare(type, schema, path, problems);
                break;
            case "string" when type == typeof(DateTimeOffset):
                if ((string?)schema["format"] != "date-time")
                    problems.Add($"{path}: a time without format date-time");
                break;
        }
    }

    private static string SchemaType(Type t)
    {
        if (t == typeof(string) || t == typeof(DateTimeOffset))
            return "string";
        if (t == typeof(bool))
            return "boolean";
        if (t == typeof(int) || t == typeof(long))
            return "integer";
        if (t == typeof(double))
            return "number";
        if (MapValueType(t) is not null)
            return "object";
        if (t != typeof(string) && t.GetInterfaces().Append(t).Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
            return "array";
        return "object";
    }

    private static Type? MapValueType(Type t)
    {
        var dict = t.GetInterfaces().Append(t).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>));
        return dict?.GetGenericArguments()[1];
    }

    private static Type ElementType(Type t) =>
        t.GetInterfaces().Append(t).First(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)).GetGenericArguments()[0];
}
