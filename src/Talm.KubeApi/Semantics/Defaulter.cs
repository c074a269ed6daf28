using System.Text.Json.Nodes;

namespace Talm.KubeApi.Semantics;

/// <summary>Applies <c>default</c> values from a structural OpenAPI v3 schema, as the CRD machinery does.</summary>
public static class Defaulter
{
    public static void Apply(JsonNode? node, JsonObject? schema)
    {
        if (schema is null || node is null) return;
        if (node is JsonObject obj)
        {
            if (schema["properties"] is JsonObject props)
            {
                foreach (var (name, propSchemaNode) in props)
                {
                    if (propSchemaNode is not JsonObject propSchema) continue;
                    if (!obj.ContainsKey(name) && propSchema["default"] is { } def)
                    {
                        obj[name] = def.DeepClone();
                    }
                    if (obj[name] is { } child) Apply(child, propSchema);
                }
            }
            if (schema["additionalProperties"] is JsonObject additional)
            {
                var known = schema["properties"] as JsonObject;
                foreach (var (name, child) in obj.ToList())
                {
                    if (known?.ContainsKey(name) != true) Apply(child, additional);
                }
            }
        }
        else if (node is JsonArray array && schema["items"] is JsonObject items)
        {
            foreach (var element in array) Apply(element, items);
        }
    }
}
