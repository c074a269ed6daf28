using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Talm.Api.Json;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>
/// Reads the objects a policy's templates manage (object-templates, or object-templates-raw with its
/// hub and managed-cluster templates blanked out), as the reference does: to check a policy, to find
/// its Subscriptions and ClusterVersion, and to build the pre-cache spec.
/// </summary>
internal static partial class PolicyObjects
{
    public const string Placeholder = "placeholder";

    /// <summary>Whether any managed object states a status (then the policy is remediated even when compliant), or why the policy is invalid.</summary>
    public static (bool ContainsStatus, string? Error) Inspect(Policy policy)
    {
        var name = policy.Metadata.Name ?? "";
        var containsStatus = false;
        foreach (var template in policy.Spec.PolicyTemplates ?? [])
        {
            if (template.ObjectDefinition is not { ValueKind: JsonValueKind.Object } def)
                return (false, $"{name}: policy is missing its spec.policy-templates.objectDefinition");
            if (!Has(def, "metadata"))
                return (false, $"{name}: policy is missing its spec.policy-templates.objectDefinition.metadata");
            if (!Has(def, "spec"))
                return (false, $"{name}: policy is missing its spec.policy-templates.objectDefinition.spec");
            var spec = def.GetProperty("spec");
            var (list, raw, error) = Templates(spec);
            if (error is not null)
                return (false, $"{name}: {error}");
            foreach (var item in list!)
            {
                if (item is not JsonObject obj || obj["objectDefinition"] is null)
                {
                    if (raw)
                        continue;
                    return (false, $"{name}: policy is missing its spec.policy-templates.objectDefinition.spec.object-templates.objectDefinition");
                }
                if (obj["objectDefinition"] is JsonObject od && od["status"] is not null)
                    containsStatus = true;
            }
        }
        return (containsStatus, null);
    }

    /// <summary>Every object the policy must have (mustnothave ones left out), or why they cannot be read.</summary>
    public static (List<JsonObject> Objects, string? Error) Strip(Policy policy)
    {
        var objects = new List<JsonObject>();
        if (policy.Spec.PolicyTemplates is null)
            return (objects, "[stripPolicy] spec -> policy-templates not found");
        foreach (var template in policy.Spec.PolicyTemplates)
        {
            if (template.ObjectDefinition is not { ValueKind: JsonValueKind.Object } def || !Has(def, "spec"))
                return (objects, "[stripPolicy] policy template without objectDefinition.spec");
            var (list, _, error) = Templates(def.GetProperty("spec"));
            if (error is not null)
                return (objects, $"[stripPolicy] {error}");
            foreach (var item in list!)
            {
                if (item is not JsonObject obj)
                    continue;
                if (obj["complianceType"] is JsonValue ct && ct.TryGetValue<string>(out var c) && c == "mustnothave")
                    continue;
                if (obj["objectDefinition"] is not JsonObject definition)
                    return (objects, "[stripPolicy] can't find any objectDefinition");
                objects.Add(definition);
            }
        }
        return (objects, null);
    }

    /// <summary>The object templates of one template's spec; raw tells that they came from object-templates-raw.</summary>
    private static (JsonArray? List, bool Raw, string? Error) Templates(JsonElement spec)
    {
        var hasList = Has(spec, "object-templates");
        var hasRaw = Has(spec, "object-templates-raw");
        if (hasList && hasRaw)
            return (null, false, "policy has both spec.policy-templates.objectDefinition.spec.object-templates and spec.policy-templates.objectDefinition.spec.object-templates-raw");
        if (hasList)
        {
            return JsonNode.Parse(spec.GetProperty("object-templates").GetRawText()) is JsonArray list
                ? (list, false, null)
                : (null, false, "policy object-templates is not a list");
        }

        if (hasRaw)
        {
            var raw = spec.GetProperty("object-templates-raw");
            var text = raw.ValueKind == JsonValueKind.String ? raw.GetString()! : "";
            return YamlJson.TryParse(StripRaw(text)) is JsonArray parsed
                ? (parsed, true, null)
                : (null, true, "policy was unable to be unmmarshalled from object-templates-raw");
        }
        return (null, false, "policy is missing both spec.policy-templates.objectDefinition.spec.object-templates and spec.policy-templates.objectDefinition.spec.object-templates-raw");
    }

    /// <summary>
    /// object-templates-raw may hold Go templates: variable and field uses become "placeholder", any
    /// other {{ ... }} block is removed, so that what is left parses as YAML.
    /// </summary>
    public static string StripRaw(string text)
    {
        var result = text;
        foreach (var use in VariableUse().Matches(result).Select(m => m.Value).Distinct().ToList())
            result = result.Replace(use, Placeholder, StringComparison.Ordinal);
        foreach (var use in FieldUse().Matches(result).Select(m => m.Value).Distinct().ToList())
            result = result.Replace(use, Placeholder, StringComparison.Ordinal);
        foreach (var block in Block().Matches(result).Select(m => m.Value).ToList())
        {
            result += "\n";
            var at = result.IndexOf(block, StringComparison.Ordinal);
            if (at >= 0)
                result = result.Remove(at, block.Length);
        }
        return result;
    }

    public static string? Str(JsonNode? node)
    {
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    private static bool Has(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    [GeneratedRegex(@"{{\s*\$[\w\.]*\s*}}")]
    private static partial Regex VariableUse();

    [GeneratedRegex(@"{{\s*\.[\w\.]*\s*}}")]
    private static partial Regex FieldUse();

    [GeneratedRegex(@"\{{[^}]+}\}")]
    private static partial Regex Block();
}
