using System.Text.Json.Nodes;
using Talm.KubeApi.Resources;

namespace Talm.KubeApi.Http;

/// <summary>The legacy (unaggregated) discovery documents kubectl and client libraries read.</summary>
public static class DiscoveryDocuments
{
    public const string KubernetesVersion = "v1.32.0";

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = KubernetesVersion + "+talm-lab",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-01-01T00:00:00Z",
        ["goVersion"] = "n/a",
        ["compiler"] = "dotnet",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList(ResourceRegistry registry) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Groups(registry).Select(g => (JsonNode)Group(g.Key, g.Value)).ToArray()),
    };

    public static JsonObject? GroupDocument(ResourceRegistry registry, string group)
    {
        var groups = Groups(registry);
        if (!groups.TryGetValue(group, out var versions)) return null;
        var doc = Group(group, versions);
        doc["kind"] = "APIGroup";
        doc["apiVersion"] = "v1";
        return doc;
    }

    /// <summary>Group -> served versions, preferred (storage) version first.</summary>
    private static SortedDictionary<string, List<string>> Groups(ResourceRegistry registry)
    {
        var result = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var t in registry.All.Where(t => t.Group.Length > 0).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (!result.TryGetValue(t.Group, out var versions))
            {
                versions = [];
                result[t.Group] = versions;
            }
            if (!versions.Contains(t.StorageVersion)) versions.Insert(0, t.StorageVersion);
            foreach (var v in t.Versions.Where(v => !versions.Contains(v.Name))) versions.Add(v.Name);
        }
        return result;
    }

    private static JsonObject Group(string name, List<string> versions) => new()
    {
        ["name"] = name,
        ["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{name}/{v}", ["version"] = v }).ToArray()),
        ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{name}/{versions[0]}", ["version"] = versions[0] },
    };

    private static readonly string[] Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static JsonObject ResourceList(ResourceRegistry registry, string group, string version)
    {
        var resources = new JsonArray();
        foreach (var t in registry.All.Where(t => t.Group == group && t.Version(version) is not null).OrderBy(t => t.Plural, StringComparer.Ordinal))
        {
            var entry = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = t.IsReview ? new JsonArray("create") : new JsonArray(Verbs.Select(v => (JsonNode)v).ToArray()),
            };
            if (t.ShortNames.Count > 0) entry["shortNames"] = new JsonArray(t.ShortNames.Select(s => (JsonNode)s).ToArray());
            if (t.Categories.Count > 0) entry["categories"] = new JsonArray(t.Categories.Select(s => (JsonNode)s).ToArray());
            resources.Add(entry);
            if (t.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/status",
                    ["singularName"] = string.Empty,
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = t.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }
}
