using System.Globalization;
using System.Text.Json.Nodes;
using Talm.KubeApi.Resources;

namespace Talm.KubeApi.Http;

/// <summary>
/// OpenAPI v3 documents, one per group-version (and an empty v2 one, see <see cref="V2"/>). kubectl reads them to learn that the server validates
/// fields itself (the <c>fieldValidation</c> query parameter on each PATCH operation), so it skips its own
/// schema validation, and to find schemas for strategic merge patches. CRD schemas are served as written.
/// </summary>
public static class OpenApiDocuments
{
    public static JsonObject Root(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        var hash = registry.Revision.ToString(CultureInfo.InvariantCulture);
        foreach (var (group, version) in GroupVersions(registry))
        {
            var key = group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    private static IEnumerable<(string Group, string Version)> GroupVersions(ResourceRegistry registry) =>
        registry.All.SelectMany(t => t.Versions.Select(v => (t.Group, v.Name))).Distinct().OrderBy(x => x.Group + "/" + x.Name);

    public static JsonObject? GroupVersion(ResourceRegistry registry, string group, string version)
    {
        var types = registry.All.Where(t => t.Group == group && t.Version(version) is not null).ToList();
        if (types.Count == 0) return null;
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var t in types)
        {
            var gvk = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = t.Kind };
            var prefix = (group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}") + (t.Namespaced ? "/namespaces/{namespace}" : string.Empty);
            var schemaName = SchemaName(group, version, t.Kind);
            paths[$"{prefix}/{t.Plural}"] = new JsonObject
            {
                ["get"] = Operation("list", gvk, schemaName),
                ["post"] = Operation("post", gvk, schemaName),
            };
            paths[$"{prefix}/{t.Plural}/{{name}}"] = new JsonObject
            {
                ["get"] = Operation("get", gvk, schemaName),
                ["put"] = Operation("put", gvk, schemaName),
                ["patch"] = Operation("patch", gvk, schemaName),
                ["delete"] = Operation("delete", gvk, schemaName),
            };
            if (t.HasStatus)
            {
                paths[$"{prefix}/{t.Plural}/{{name}}/status"] = new JsonObject
                {
                    ["get"] = Operation("get", gvk, schemaName),
                    ["put"] = Operation("put", gvk, schemaName),
                    ["patch"] = Operation("patch", gvk, schemaName),
                };
            }
            var schema = t.Version(version)?.Schema?.DeepClone() as JsonObject
                ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
            schemas[schemaName] = schema;
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = DiscoveryDocuments.KubernetesVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    /// <summary>Content type of the protobuf OpenAPI v2 document; kubectl asks for it (first) in the older spelling with "@v1.0".</summary>
    public const string V2Protobuf = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    private const string V2ProtobufAccepted = "application/com.github.proto-openapi.spec.v2";

    /// <summary>
    /// The OpenAPI v2 document: a valid one without definitions. kubectl reads it only for a kind that v3 does not
    /// describe, which here means a kind no served type has (its CRD is missing); finding no schema there either,
    /// it goes on to map the kind and fails with "no matches for kind", as against a real server. Without this
    /// document the 404 made kubectl stop at "failed to download openapi" instead.
    /// </summary>
    public static (string ContentType, byte[] Body) V2(string? accept)
    {
        if (accept is not null && accept.Contains(V2ProtobufAccepted, StringComparison.Ordinal))
        {
            // openapi_v2.Document { swagger = 1, info = 2 { title = 1, version = 2 }, paths = 8, definitions = 9 }.
            var info = Concat(Field(1, "Kubernetes"u8.ToArray()), Field(2, System.Text.Encoding.UTF8.GetBytes(DiscoveryDocuments.KubernetesVersion)));
            return (V2Protobuf, Concat(Field(1, "2.0"u8.ToArray()), Field(2, info), Field(8, []), Field(9, [])));
        }
        var json = new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = DiscoveryDocuments.KubernetesVersion },
            ["paths"] = new JsonObject(),
            ["definitions"] = new JsonObject(),
        };
        return ("application/json", System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    /// <summary>A length-delimited protobuf field (wire type 2).</summary>
    private static byte[] Field(int number, byte[] payload)
    {
        var bytes = new List<byte> { (byte)((number << 3) | 2) };
        for (var n = (uint)payload.Length; ; n >>= 7)
        {
            if (n < 0x80)
            {
                bytes.Add((byte)n);
                break;
            }
            bytes.Add((byte)((n & 0x7F) | 0x80));
        }
        bytes.AddRange(payload);
        return [.. bytes];
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static string SchemaName(string group, string version, string kind)
    {
        var reversed = group.Length == 0 ? "io.k8s.api.core" : string.Join('.', group.Split('.').Reverse());
        return $"{reversed}.{version}.{kind}";
    }

    private static JsonObject Operation(string action, JsonObject gvk, string schemaName)
    {
        var parameters = new JsonArray();
        foreach (var p in new[] { "dryRun", "fieldManager", "fieldValidation", "force", "pretty" })
        {
            if (action is "get" or "list" or "delete" && p is not "pretty" and not "dryRun") continue;
            parameters.Add(new JsonObject { ["name"] = p, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = p == "force" ? "boolean" : "string" } });
        }
        return new JsonObject
        {
            ["operationId"] = action + gvk["kind"],
            ["parameters"] = parameters,
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = "OK",
                    ["content"] = new JsonObject
                    {
                        ["application/json"] = new JsonObject
                        {
                            ["schema"] = new JsonObject { ["$ref"] = $"#/components/schemas/{schemaName}" },
                        },
                    },
                },
            },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
        };
    }
}
