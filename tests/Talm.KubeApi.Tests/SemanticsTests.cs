using System.Text;
using System.Text.Json.Nodes;
using Talm.KubeApi.Json;
using Talm.KubeApi.Semantics;

namespace Talm.KubeApi.Tests;

/// <summary>The pure pieces: selectors, patches, printer-column paths, ages, defaults, protobuf bodies.</summary>
public sealed class SemanticsTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "talm", ["tier"] = "hub" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=talm", true)]
    [InlineData("app==talm,tier=hub", true)]
    [InlineData("app!=talm", false)]
    [InlineData("app in (x, talm)", true)]
    [InlineData("app notin (x,talm)", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("missing", false)]
    [InlineData("!missing", true)]
    [InlineData("missing!=x", true)]
    public void Label_selectors_match_like_kubernetes(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelectorQuery.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("app in (talm")]
    [InlineData("=x")]
    public void Malformed_label_selectors_are_bad_requests(string selector) =>
        Assert.Equal(400, Assert.Throws<ApiException>(() => LabelSelectorQuery.Parse(selector)).Code);

    [Theory]
    [InlineData("/api/v1/namespaces/default/configmaps/x", "configmaps", "default", "x", null)]
    [InlineData("/api/v1/namespaces/default", "namespaces", null, "default", null)]
    [InlineData("/api/v1/namespaces/default/status", "namespaces", null, "default", "status")]
    [InlineData("/api/v1/configmaps", "configmaps", null, null, null)]
    [InlineData("/apis/coordination.k8s.io/v1/namespaces/ns1/leases/l/status", null, null, null, null)]
    [InlineData("/api/v1/namespaces/default/configmaps/x/status", null, null, null, null)]
    [InlineData("/apis/nope.io/v1/things", null, null, null, null)]
    public void Resource_paths_resolve_or_are_404(string path, string? plural, string? ns, string? name, string? sub)
    {
        var registry = new Talm.KubeApi.Resources.ResourceRegistry();
        var segments = path.Trim('/').Split('/');
        if (plural is null)
        {
            Assert.Equal(404, Assert.Throws<ApiException>(() => Talm.KubeApi.Http.ResourceRequest.Parse(segments, registry)).Code);
            return;
        }
        var request = Talm.KubeApi.Http.ResourceRequest.Parse(segments, registry)!;
        Assert.Equal((plural, ns, name, sub), (request.Type.Plural, request.Namespace, request.Name, request.Subresource));
    }

    [Fact]
    public void Merge_patch_follows_rfc7386()
    {
        var target = JsonNode.Parse("""{"a":1,"b":{"c":2,"d":3},"l":[1,2]}""");
        var result = Patches.MergePatch(target, JsonNode.Parse("""{"a":null,"b":{"c":5},"l":[9]}"""));
        Assert.Equal("""{"b":{"c":5,"d":3},"l":[9]}""", result!.ToJsonString());
    }

    [Fact]
    public void Json_patch_applies_operations_in_order_and_tests_values()
    {
        var target = JsonNode.Parse("""{"metadata":{"finalizers":["a","b"]},"spec":{"n":1}}""")!.AsObject();
        var result = Patches.JsonPatch(target, JsonNode.Parse("""
            [{"op":"test","path":"/spec/n","value":1},{"op":"remove","path":"/metadata/finalizers/0"},
             {"op":"add","path":"/spec/list","value":[]},{"op":"add","path":"/spec/list/-","value":"x"},
             {"op":"replace","path":"/spec/n","value":2},{"op":"copy","from":"/spec/n","path":"/spec/m"},
             {"op":"move","from":"/spec/m","path":"/spec/k"}]
            """)!);
        Assert.Equal("""{"metadata":{"finalizers":["b"]},"spec":{"n":2,"list":["x"],"k":2}}""", result.ToJsonString());
        var failed = Assert.Throws<ApiException>(() => Patches.JsonPatch(target, JsonNode.Parse("""[{"op":"test","path":"/spec/n","value":7}]""")!));
        Assert.Equal(422, failed.Code);
    }

    [Fact]
    public void Strategic_merge_patch_merges_finalizers_and_honours_directives()
    {
        var target = JsonNode.Parse("""{"metadata":{"finalizers":["a"],"labels":{"x":"1","y":"2"}},"data":{"k":"v"}}""")!.AsObject();
        var patch = JsonNode.Parse("""
            {"$setElementOrder/x":[],"metadata":{"finalizers":["b"],"labels":{"y":null}},"data":{"$patch":"replace","n":"w"}}
            """)!.AsObject();
        var result = Patches.StrategicMergePatch(target, patch);
        Assert.Equal("""{"metadata":{"finalizers":["a","b"],"labels":{"x":"1"}},"data":{"n":"w"}}""", result.ToJsonString());
        var removed = Patches.StrategicMergePatch(result, JsonNode.Parse("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}""")!.AsObject());
        Assert.Equal("""["b"]""", removed["metadata"]!["finalizers"]!.ToJsonString());
    }

    [Theory]
    [InlineData(".status.conditions[-1:].reason", "Last")]
    [InlineData(".status.conditions[0].reason", "First")]
    [InlineData(".status.conditions[?(@.type==\"B\")].reason", "Last")]
    [InlineData(".status.missing", null)]
    public void Printer_column_paths_resolve(string path, string? expected)
    {
        var obj = JsonNode.Parse("""{"status":{"conditions":[{"type":"A","reason":"First"},{"type":"B","reason":"Last"}]}}""");
        var values = SimpleJsonPath.Evaluate(obj, path);
        Assert.Equal(expected, values.Count == 0 ? null : JsonUtil.Scalar(values[0]));
    }

    [Theory]
    [InlineData(45, "45s")]
    [InlineData(200, "3m20s")]
    [InlineData(3600 * 5 + 600, "5h10m")]
    [InlineData(3600 * 30, "30h")]
    [InlineData(3600 * 24 * 3 + 3600 * 4, "3d4h")]
    [InlineData(3600 * 24 * 40, "40d")]
    public void Ages_print_like_kubectl(int seconds, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Schema_defaults_fill_missing_fields_at_every_level()
    {
        var schema = JsonNode.Parse("""
            {"type":"object","properties":{"spec":{"type":"object","default":{},"properties":{
              "a":{"type":"integer","default":1},
              "items":{"type":"array","items":{"type":"object","properties":{"b":{"type":"string","default":"x"}}}}}}}}
            """)!.AsObject();
        var obj = JsonNode.Parse("""{"spec":{"items":[{},{"b":"y"}]}}""")!;
        Defaulter.Apply(obj, schema);
        Assert.Equal("""{"spec":{"items":[{"b":"x"},{"b":"y"}],"a":1}}""", obj.ToJsonString());
        var empty = JsonNode.Parse("{}")!;
        Defaulter.Apply(empty, schema);
        Assert.Equal("""{"spec":{"a":1}}""", empty.ToJsonString());
    }

    [Fact]
    public void Schema_validation_reports_required_type_and_enum_errors_with_paths()
    {
        var schema = JsonNode.Parse("""
            {"type":"object","properties":{"spec":{"type":"object","required":["strategy"],"properties":{
              "strategy":{"type":"object","required":["max"],"properties":{"max":{"type":"integer"}}},
              "mode":{"type":"string","enum":["Continue","Abort"]},
              "port":{"x-kubernetes-int-or-string":true},
              "list":{"type":"array","items":{"type":"string"}}}}}}
            """)!.AsObject();
        Assert.Empty(SchemaValidator.Validate(JsonNode.Parse("""{"metadata":{"name":"x"},"spec":{"strategy":{"max":2},"mode":"Abort","port":"http","extra":1}}"""), schema));
        var errors = SchemaValidator.Validate(JsonNode.Parse("""{"spec":{"mode":"Later","list":["a",3],"port":1.5}}"""), schema);
        Assert.Contains("spec.strategy: Required value", errors);
        Assert.Contains(errors, e => e.StartsWith("spec.mode: Unsupported value: \"Later\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.list[1]: Invalid value: \"number\"", StringComparison.Ordinal));
        Assert.Equal(3, errors.Count);
        Assert.Equal(["spec.strategy.max: Invalid value: \"string\": spec.strategy.max in body must be of type integer: \"string\""],
            SchemaValidator.Validate(JsonNode.Parse("""{"spec":{"strategy":{"max":"two"}}}"""), schema));
    }

    [Fact]
    public void Unknown_fields_are_those_the_schema_does_not_declare_outside_open_subtrees()
    {
        var schema = JsonNode.Parse("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"},
              "labels":{"type":"object","additionalProperties":{"type":"string"}},
              "items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer"}}}}}},
              "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}
            """)!.AsObject();
        var obj = JsonNode.Parse("""
            {"apiVersion":"x/v1","kind":"K","metadata":{"name":"n"},"spec":{"a":"1","typo":2,"labels":{"any":"v"},"items":[{"n":1,"m":2}]},
             "status":{"free":true},"top":1}
            """);
        Assert.Equal(["spec.typo", "spec.items.m", "top"], SchemaValidator.UnknownFields(obj, schema));
    }

    [Fact]
    public void Protobuf_configmap_bodies_decode_to_json()
    {
        // k8s\0 + Unknown{typeMeta{apiVersion:"v1",kind:"ConfigMap"}, raw: ConfigMap{metadata{name:"c"}, data{"k":"v"}}}
        static byte[] Field(int number, byte[] payload) => [(byte)(number << 3 | 2), (byte)payload.Length, .. payload];
        static byte[] Str(int number, string s) => Field(number, Encoding.UTF8.GetBytes(s));
        var configMap = Field(1, Str(1, "c")).Concat(Field(2, [.. Str(1, "k"), .. Str(2, "v")])).ToArray();
        var unknown = Field(1, [.. Str(1, "v1"), .. Str(2, "ConfigMap")]).Concat(Field(2, configMap)).ToArray();
        var json = ProtobufDecoder.Decode([.. "k8s\0"u8.ToArray(), .. unknown]);
        Assert.Equal("""{"metadata":{"name":"c"},"data":{"k":"v"},"apiVersion":"v1","kind":"ConfigMap"}""", json.ToJsonString());
    }
}
