using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.KubeApi.Json;

namespace Talm.KubeApi.Semantics;

/// <summary>
/// The structural checks of a CRD's OpenAPI v3 schema that catch real mistakes: <c>required</c>,
/// <c>type</c> (with <c>nullable</c> and <c>x-kubernetes-int-or-string</c>) and <c>enum</c>.
/// Unknown fields are kept, not rejected (no pruning), so clients stay forward compatible.
/// </summary>
public static class SchemaValidator
{
    public static IReadOnlyList<string> Validate(JsonNode? node, JsonObject? schema)
    {
        var errors = new List<string>();
        if (schema is not null && node is JsonObject root) Walk(root, schema, string.Empty, errors, isRoot: true);
        return errors;
    }

    private static void Walk(JsonNode? node, JsonObject schema, string path, List<string> errors, bool isRoot = false)
    {
        if (node is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true && !isRoot) errors.Add($"{path}: Invalid value: \"null\": {path} in body must be of type {JsonUtil.Str(schema, "type") ?? "object"}: \"null\"");
            return;
        }
        var type = JsonUtil.Str(schema, "type");
        if (type is not null && !isRoot && !HasType(node, type, schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true))
        {
            errors.Add($"{path}: Invalid value: \"{Kind(node)}\": {path} in body must be of type {type}: \"{Kind(node)}\"");
            return;
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            var list = string.Join(", ", allowed.Select(a => a?.ToJsonString() ?? "null"));
            errors.Add($"{path}: Unsupported value: {node.ToJsonString()}: supported values: {list}");
        }
        if (node is JsonObject obj)
        {
            if (schema["required"] is JsonArray required)
            {
                foreach (var name in required.Select(JsonUtil.Scalar).OfType<string>())
                {
                    if (!obj.ContainsKey(name)) errors.Add($"{Join(path, name)}: Required value");
                }
            }
            var properties = schema["properties"] as JsonObject;
            foreach (var (name, child) in obj)
            {
                if (isRoot && name is "metadata" or "apiVersion" or "kind") continue;
                if (properties?[name] is JsonObject childSchema) Walk(child, childSchema, Join(path, name), errors);
                else if (schema["additionalProperties"] is JsonObject additional) Walk(child, additional, Join(path, name), errors);
            }
        }
        else if (node is JsonArray array && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++) Walk(array[i], items, $"{path}[{i}]", errors);
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static bool HasType(JsonNode node, string type, bool intOrString)
    {
        var kind = node.GetValueKind();
        if (intOrString && (kind == JsonValueKind.String || IsInteger(node))) return true;
        return type switch
        {
            "object" => kind == JsonValueKind.Object,
            "array" => kind == JsonValueKind.Array,
            "string" => kind == JsonValueKind.String,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            "integer" => IsInteger(node),
            "number" => kind == JsonValueKind.Number,
            _ => true,
        };
    }

    private static bool IsInteger(JsonNode node) =>
        node.GetValueKind() == JsonValueKind.Number && JsonUtil.Long(node) is not null;

    private static string Kind(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    /// <summary>
    /// Paths of fields the schema does not declare (what the real server would prune), for
    /// <c>fieldValidation=Strict</c>. Subtrees with <c>x-kubernetes-preserve-unknown-fields</c> are open.
    /// </summary>
    public static IReadOnlyList<string> UnknownFields(JsonNode? node, JsonObject? schema)
    {
        var unknown = new List<string>();
        if (schema is not null && node is JsonObject root) Unknown(root, schema, string.Empty, unknown, isRoot: true);
        return unknown;
    }

    private static void Unknown(JsonNode? node, JsonObject schema, string path, List<string> unknown, bool isRoot = false)
    {
        if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true) return;
        if (node is JsonObject obj)
        {
            var properties = schema["properties"] as JsonObject;
            var additional = schema["additionalProperties"];
            var embedded = isRoot || schema["x-kubernetes-embedded-resource"]?.GetValue<bool>() == true;
            foreach (var (name, child) in obj)
            {
                if (embedded && name is "apiVersion" or "kind" or "metadata") continue;
                if (properties?[name] is JsonObject childSchema) Unknown(child, childSchema, Join(path, name), unknown);
                else if (additional is JsonObject additionalSchema) Unknown(child, additionalSchema, Join(path, name), unknown);
                else if (additional is null || additional.GetValueKind() == JsonValueKind.False) unknown.Add(Join(path, name));
            }
        }
        else if (node is JsonArray array && schema["items"] is JsonObject items)
        {
            foreach (var element in array) Unknown(element, items, path, unknown);
        }
    }
}
