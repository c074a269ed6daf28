using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Json;
using Talm.Api.Rhacm;

namespace Talm.Engine.Internal;

/// <summary>Reads the objects a policy's ConfigurationPolicies manage (object-templates or object-templates-raw).</summary>
internal static class PolicyTemplates
{
    /// <summary>A managed object: its compliance type and its definition.</summary>
    public readonly record struct ManagedObject(string? ComplianceType, JsonElement Definition);

    /// <summary>Why a template is invalid (hub-protocol §4.2), or null.</summary>
    public static string? Invalid(Policy policy)
    {
        foreach (var template in policy.Spec.PolicyTemplates ?? [])
        {
            if (template.ObjectDefinition is not { ValueKind: JsonValueKind.Object } def)
                return "policy template without objectDefinition";
            if (!def.TryGetProperty("metadata", out var md) || md.ValueKind != JsonValueKind.Object)
                return "objectDefinition without metadata";
            if (!def.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
                return "objectDefinition without spec";
            if (def.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String && kind.GetString() == ConfigurationPolicy.KindName)
            {
                var hasTemplates = spec.TryGetProperty("object-templates", out _);
                var hasRaw = spec.TryGetProperty("object-templates-raw", out _);
                if (hasTemplates == hasRaw)
                    return "needs exactly one of object-templates and object-templates-raw";
            }
        }
        return null;
    }

    /// <summary>Every object of every ConfigurationPolicy template, in order.</summary>
    public static List<ManagedObject> Objects(Policy? policy)
    {
        var result = new List<ManagedObject>();
        foreach (var template in policy?.Spec.PolicyTemplates ?? [])
        {
            if (template.ObjectDefinition is not { ValueKind: JsonValueKind.Object } def)
                continue;
            if (!def.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String || kind.GetString() != ConfigurationPolicy.KindName)
                continue;
            if (!def.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
                continue;
            if (spec.TryGetProperty("object-templates", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var ot in list.EnumerateArray())
                    Add(result, ot);
            }
            else if (spec.TryGetProperty("object-templates-raw", out var raw) && raw.ValueKind == JsonValueKind.String)
            {
                foreach (var ot in ParseRaw(raw.GetString()!))
                    Add(result, ot);
            }
        }
        return result;
    }

    private static void Add(List<ManagedObject> result, JsonElement objectTemplate)
    {
        if (objectTemplate.ValueKind != JsonValueKind.Object)
            return;
        if (!objectTemplate.TryGetProperty("objectDefinition", out var def) || def.ValueKind != JsonValueKind.Object)
            return;
        string? compliance = objectTemplate.TryGetProperty("complianceType", out var ct) && ct.ValueKind == JsonValueKind.String ? ct.GetString() : null;
        result.Add(new ManagedObject(compliance, def));
    }

    /// <summary>object-templates-raw is YAML; hub templates in it may not parse, which yields no objects.</summary>
    private static IEnumerable<JsonElement> ParseRaw(string yaml)
    {
        if (YamlJson.TryParse(yaml) is not JsonArray array)
            return [];
        return JsonSerializer.SerializeToElement(array).EnumerateArray().ToList();
    }

    public static string? Str(JsonElement e, params string[] path)
    {
        var cur = e;
        foreach (var p in path)
        {
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(p, out cur))
                return null;
        }
        return cur.ValueKind == JsonValueKind.String ? cur.GetString() : null;
    }
}
