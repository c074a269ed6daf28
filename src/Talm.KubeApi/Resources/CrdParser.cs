using System.Text.Json.Nodes;
using Talm.KubeApi.Json;

namespace Talm.KubeApi.Resources;

/// <summary>Reads an <c>apiextensions.k8s.io/v1</c> CustomResourceDefinition into the resource it serves.</summary>
public static class CrdParser
{
    public static ResourceType Parse(JsonObject crd)
    {
        var name = JsonUtil.MetaStr(crd, "name") ?? string.Empty;
        var spec = crd["spec"] as JsonObject ?? throw Invalid(name, "spec: Required value");
        var group = JsonUtil.Str(spec, "group") ?? throw Invalid(name, "spec.group: Required value");
        var names = spec["names"] as JsonObject ?? throw Invalid(name, "spec.names: Required value");
        var plural = JsonUtil.Str(names, "plural") ?? throw Invalid(name, "spec.names.plural: Required value");
        var kind = JsonUtil.Str(names, "kind") ?? throw Invalid(name, "spec.names.kind: Required value");
        if (name != $"{plural}.{group}")
            throw Invalid(name, $"metadata.name: Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group");
        var scope = JsonUtil.Str(spec, "scope") ?? "Namespaced";
        if (scope is not "Namespaced" and not "Cluster")
            throw Invalid(name, $"spec.scope: Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\"");
        var versionNodes = spec["versions"] as JsonArray ?? throw Invalid(name, "spec.versions: Required value");
        var versions = new List<ResourceVersion>();
        string? storage = null;
        var hasStatus = false;
        foreach (var node in versionNodes.OfType<JsonObject>())
        {
            var vname = JsonUtil.Str(node, "name") ?? throw Invalid(name, "spec.versions[].name: Required value");
            if (node["storage"]?.GetValue<bool>() == true) storage = vname;
            if (node["served"]?.GetValue<bool>() == false) continue;
            if (node["subresources"] is JsonObject sub && sub.ContainsKey("status")) hasStatus = true;
            var schema = (node["schema"] as JsonObject)?["openAPIV3Schema"] as JsonObject;
            versions.Add(new ResourceVersion(vname, schema?.DeepClone() as JsonObject, Columns(node)));
        }
        if (versions.Count == 0) throw Invalid(name, "spec.versions: Invalid value: must have at least one served version");
        if (storage is null) throw Invalid(name, "spec.versions: Invalid value: must have exactly one version marked as storage version");
        return new ResourceType
        {
            Group = group,
            Kind = kind,
            Plural = plural,
            Singular = JsonUtil.Str(names, "singular") ?? kind.ToLowerInvariant(),
            ShortNames = Strings(names["shortNames"]),
            Categories = Strings(names["categories"]),
            Namespaced = scope == "Namespaced",
            HasStatus = hasStatus,
            TracksGeneration = true,
            IsCustom = true,
            Versions = versions,
            StorageVersion = storage,
        };
    }

    private static List<PrinterColumn> Columns(JsonObject version)
    {
        var columns = new List<PrinterColumn>();
        if (version["additionalPrinterColumns"] is JsonArray array)
        {
            foreach (var c in array.OfType<JsonObject>())
            {
                columns.Add(new PrinterColumn(
                    JsonUtil.Str(c, "name") ?? "?",
                    JsonUtil.Str(c, "type") ?? "string",
                    JsonUtil.Str(c, "jsonPath") ?? string.Empty,
                    JsonUtil.Str(c, "description") ?? string.Empty,
                    (int)(JsonUtil.Long(c["priority"]) ?? 0),
                    JsonUtil.Str(c, "format") ?? string.Empty));
            }
            return columns;
        }
        columns.Add(new PrinterColumn("Age", "date", ".metadata.creationTimestamp"));
        return columns;
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(JsonUtil.Scalar).OfType<string>().ToList() : [];

    private static ApiException Invalid(string name, string detail) =>
        ApiException.Invalid("apiextensions.k8s.io", "CustomResourceDefinition", name, detail);
}
