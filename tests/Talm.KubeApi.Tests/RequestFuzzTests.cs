// CsCheck's generators carry no nullability for JsonNode? values.
#nullable disable warnings
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.KubeApi.Http;
using Talm.KubeApi.Json;
using Talm.KubeApi.Metrics;
using Talm.KubeApi.Resources;
using Talm.KubeApi.Storage;
using Talm.KubeApi.Tests.Support;

namespace Talm.KubeApi.Tests;

/// <summary>
/// Random requests (methods, paths, queries, content types and bodies: garbage, deep or wide JSON,
/// YAML with aliases, protobuf envelopes, mutated real objects) straight into the request handler:
/// none may fail with 500 or an unanswered exception, every answer is JSON, and nothing stored
/// breaks the rules the server enforces.
/// </summary>
public sealed class RequestFuzzTests
{
    private static readonly string[] Segments =
    [
        "api", "apis", "v1", "namespaces", "default", "kube-system", "configmaps", "secrets", "serviceaccounts", "events", "leases",
        "coordination.k8s.io", "ran.openshift.io", "v1alpha1", "clustergroupupgrades", "status", "cm1", "c1", "Bad_Name", "..", "%41", "a.b",
        "apiextensions.k8s.io", "customresourcedefinitions", "openapi", "v3", "version", "healthz", "metrics", "",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/yaml", "application/vnd.kubernetes.protobuf",
        "application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml",
        "text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=", "*/*", "application/cbor",
    ];

    private static readonly string[] QueryKeys = ["resourceVersion", "limit", "continue", "labelSelector", "fieldSelector", "dryRun", "fieldValidation", "includeObject"];

    private static readonly string[] QueryValues =
    [
        "0", "1", "-1", "99999999999999999999", "9223372036854775807", "All", "Strict", "a=b", "a in (b,c)", "!a", "metadata.name=x",
        "spec.x=y", "Object", "%ZZ", "bm90IGEgdG9rZW4=", "MXw=", "",
    ];

    private static readonly Gen<string> Ascii = Gen.Char['!', '~'].Array[0, 12].Select(c => new string(c));

    private static readonly Gen<string> Path = Gen.OneOf(Gen.OneOf<string>(Segments), Ascii).Array[0, 7].Select(s => "/" + string.Join('/', s));

    private static readonly Gen<string> Query = Gen.Select(Gen.OneOf<string>(QueryKeys), Gen.OneOf(Gen.OneOf<string>(QueryValues), Ascii))
        .Array[0, 3].Select(kv => kv.Length == 0 ? "" : "?" + string.Join('&', kv.Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}")));

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf(
        Gen.Const<JsonNode?>(() => null),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Double.Select(d => double.IsFinite(d) ? (JsonNode?)JsonValue.Create(d) : null),
        Gen.OneOf(Ascii, Gen.OneOf<string>("v1", "ConfigMap", "Secret", "Namespace", "cm1", "default", "Bad_Name", "bm8h", "add", "/data/a", "/metadata/name"))
            .Select(s => (JsonNode?)JsonValue.Create(s)));

    /// <summary>Random JSON values, a few levels deep, with keys that matter to the server now and then.</summary>
    private static readonly Gen<JsonNode?> Json = Gen.Recursive<JsonNode?>((depth, inner) => depth >= 4
        ? Scalar
        : Gen.Frequency(
            (3, Scalar),
            (2, Gen.Select(Gen.OneOf(Gen.OneOf<string>("metadata", "name", "namespace", "data", "binaryData", "stringData", "spec", "status", "kind",
                    "apiVersion", "finalizers", "generateName", "op", "path", "value", "$patch"), Ascii), inner).Array[0, 5]
                .Select(kv =>
                {
                    var o = new JsonObject();
                    foreach (var (k, v) in kv) o[k] = v?.DeepClone();
                    return (JsonNode?)o;
                })),
            (1, inner.Array[0, 4].Select(a => (JsonNode?)new JsonArray([.. a.Select(v => v?.DeepClone())])))));

    private sealed record Target(string Collection, string Item, string Template);

    private static readonly Target[] Targets =
    [
        new("/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/configmaps/cm1",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1"},"data":{"a":"b"}}"""),
        new("/api/v1/namespaces/default/secrets", "/api/v1/namespaces/default/secrets/s1",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"a":"Yg=="},"stringData":{"c":"d"}}"""),
        new("/api/v1/namespaces", "/api/v1/namespaces/ns1", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1"}}"""),
        new("/apis/ran.openshift.io/v1alpha1/namespaces/default/clustergroupupgrades", "/apis/ran.openshift.io/v1alpha1/namespaces/default/clustergroupupgrades/c1",
            """{"apiVersion":"ran.openshift.io/v1alpha1","kind":"ClusterGroupUpgrade","metadata":{"name":"c1"},"spec":{"clusters":["a"]}}"""),
    ];

    /// <summary>A real document with one part (by key; "-" matches none) replaced by something random.</summary>
    private static Gen<string> Mutated(string template) => Gen.Select(
        Gen.OneOf<string>("metadata", "data", "name", "binaryData", "spec", "kind", "apiVersion", "op", "path", "value", "a", "a", "a", "-", "-"),
        Json,
        (key, value) => Replace(JsonNode.Parse(template)!, key, value).ToJsonString());

    private static JsonNode Replace(JsonNode node, string key, JsonNode? value)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o.ToList())
                {
                    if (k == key) o[k] = value?.DeepClone();
                    else if (v is not null) Replace(v, key, value);
                }
                break;
            case JsonArray a:
                foreach (var v in a) if (v is not null) Replace(v, key, value);
                break;
        }
        return node;
    }

    /// <summary>Bodies of every odd kind, apart from the real documents <see cref="Requests"/> mostly sends.</summary>
    private static readonly Gen<byte[]> Odd = Gen.Frequency(
        (2, Json.Select(j => Encoding.UTF8.GetBytes(j?.ToJsonString() ?? "null"))),
        (1, Gen.Byte.Array[0, 64]),
        (1, Gen.Int[1, 3000].Select(n => Encoding.UTF8.GetBytes(new string('[', n) + new string(']', n)))),
        (1, Gen.Int[1, 3000].Select(n => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", n)) + "1" + new string('}', n)))),
        (1, Gen.Int[1, 1200].Select(n => Encoding.UTF8.GetBytes("kind: ConfigMap\napiVersion: v1\nmetadata: {name: y}\ndata: " + new string('[', n) + new string(']', n)))),
        (1, Gen.Int[2, 12].Select(n => Encoding.UTF8.GetBytes(Aliases(n)))),
        (1, Gen.Byte.Array[0, 48].Select(b => (byte[])[.. "k8s\0"u8, .. b])),
        (1, Gen.Select(Gen.Long, Gen.Long, (s, ns) => ProtobufConfigMapWithTime(s, ns))));

    /// <summary>YAML whose aliases double its size at each of <paramref name="levels"/> levels (a "billion laughs").</summary>
    private static string Aliases(int levels)
    {
        var sb = new StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: laughs}\nl0: &l0 [x, x]\n");
        for (var i = 1; i <= levels; i++) sb.Append($"l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}]\n");
        return sb.ToString();
    }

    /// <summary>A protobuf ConfigMap whose creationTimestamp is any pair of numbers.</summary>
    private static byte[] ProtobufConfigMapWithTime(long seconds, long nanos)
    {
        static byte[] Varint(ulong v)
        {
            var list = new List<byte>();
            do
            {
                var b = (byte)(v & 0x7f);
                v >>= 7;
                list.Add(v == 0 ? b : (byte)(b | 0x80));
            }
            while (v != 0);
            return [.. list];
        }
        static byte[] Field(int number, byte[] payload) => [.. Varint((ulong)(number << 3 | 2)), .. Varint((ulong)payload.Length), .. payload];
        byte[] time = [.. Varint(1 << 3), .. Varint((ulong)seconds), .. Varint(2 << 3), .. Varint((ulong)nanos)];
        byte[] meta = [.. Field(1, "t"u8.ToArray()), .. Field(8, time)];
        byte[] raw = Field(1, meta);
        byte[] typeMeta = [.. Field(1, "v1"u8.ToArray()), .. Field(2, "ConfigMap"u8.ToArray())];
        return [.. "k8s\0"u8, .. Field(1, typeMeta), .. Field(2, raw)];
    }

    private sealed record Request(string Method, string Path, string Query, string ContentType, byte[] Body)
    {
        public override string ToString() =>
            $"{Method} {Path}{Query} [{ContentType}] {Encoding.UTF8.GetString(Body[..Math.Min(Body.Length, 300)])}";
    }

    /// <summary>Mostly the types each method takes, so that requests get past the checks; anything now and then.</summary>
    private static Gen<string> TypesFor(string method) => method switch
    {
        "POST" or "PUT" => Gen.Frequency((6, Gen.OneOf<string>("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")),
            (1, Gen.OneOf<string>(ContentTypes))),
        "PATCH" => Gen.Frequency((6, Gen.OneOf<string>("application/merge-patch+json", "application/json-patch+json",
            "application/strategic-merge-patch+json", "application/apply-patch+yaml")), (1, Gen.OneOf<string>(ContentTypes))),
        _ => Gen.OneOf<string>(ContentTypes),
    };

    private static readonly Gen<Request> Requests =
        from target in Gen.OneOf<Target>(Targets)
        from method in Gen.Frequency((3, Gen.OneOf<string>("POST", "PUT", "PATCH")), (2, Gen.OneOf<string>("GET", "DELETE")), (1, Gen.Const("OPTIONS")))
        from path in Gen.Frequency((8, Gen.Const(method == "POST" ? target.Collection : target.Item)), (1, Gen.OneOf<string>(target.Collection, target.Item + "/status")), (1, Path))
        from query in Query
        from type in TypesFor(method)
        from body in Gen.Frequency(
            (6, Mutated(type == "application/json-patch+json" ? """[{"op":"add","path":"/metadata/labels","value":{"a":"b"}}]""" : target.Template)
                .Select(Encoding.UTF8.GetBytes)),
            (3, Odd))
        select new Request(method, path, query.Replace("watch", "w", StringComparison.Ordinal), type, body);

    [Fact]
    public void Random_requests_never_fail_with_500_always_answer_json_and_keep_the_stores_rules()
    {
        using var store = new ObjectStore(1000, null);
        var service = new ObjectService(store, new ResourceRegistry(), TimeProvider.System);
        service.EnsureSystemNamespaces();
        KubeApiServer.ApplyManifestFile(service, Lab.TestData("test-cgu-crd.yaml"));
        var handler = new ApiHandler(service, TimeProvider.System, TimeSpan.FromSeconds(10), NullLogger.Instance, new RequestMetrics(),
            new Talm.KubeApi.Auth.Reviews(new Talm.KubeApi.Auth.StaticTokens(), new Talm.KubeApi.Auth.RbacAuthorizer(service.Store)));
        var codes = new Dictionary<int, int>();

        Requests.Sample(r =>
        {
            var ctx = new DefaultHttpContext();
            ctx.Request.Method = r.Method;
            ctx.Request.Path = new PathString(r.Path);
            ctx.Request.QueryString = new QueryString(r.Query);
            ctx.Request.Host = new HostString("127.0.0.1:6443");
            if (r.ContentType.Length > 0) ctx.Request.ContentType = r.ContentType;
            ctx.Request.Body = new MemoryStream(r.Body);
            ctx.Request.ContentLength = r.Body.Length;
            var response = new MemoryStream();
            ctx.Response.Body = response;
            Task.Run(() => handler.HandleAsync(ctx)).GetAwaiter().GetResult();

            Assert.True(ctx.Response.StatusCode != 500, $"500: {Encoding.UTF8.GetString(response.ToArray())}");
            codes[ctx.Response.StatusCode] = codes.GetValueOrDefault(ctx.Response.StatusCode) + 1;
            if (ctx.Response.ContentType == "application/json")
            {
                using var _ = JsonDocument.Parse(response.ToArray(), new JsonDocumentOptions { MaxDepth = JsonUtil.MaxDepth + 16 });
            }
            foreach (var cm in store.List("/configmaps", null).Items)
            {
                foreach (var field in new[] { "data", "binaryData" })
                {
                    if (cm.Node[field] is JsonObject map)
                        Assert.All(map, kv => Assert.Equal(JsonValueKind.String, kv.Value!.GetValueKind()));
                }
            }
            Assert.All(store.List("/namespaces", null).Items, ns => Assert.Empty(Semantics.NameValidation.Problems(ns.Name, label: true)));
            Assert.All(store.List("/configmaps", null).Items, o => Assert.True(JsonUtil.Depth(o.Node) <= JsonUtil.MaxDepth));
        }, iter: 2500, threads: 1);
        // The requests reach past the checks: objects are created and changed, not only refused.
        Assert.True(codes.GetValueOrDefault(201) > 3 && codes.GetValueOrDefault(200) > 30, string.Join(", ", codes.Select(c => $"{c.Key}: {c.Value}")));
    }
}
