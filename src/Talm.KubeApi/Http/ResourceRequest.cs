using Talm.KubeApi.Resources;

namespace Talm.KubeApi.Http;

/// <summary>A request path resolved to a resource: <c>/apis/g/v[/namespaces/ns]/plural[/name[/sub]]</c>.</summary>
public sealed record ResourceRequest(ResourceType Type, string Version, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>Null when the path is not a resource path; throws 404 for an unknown resource.</summary>
    public static ResourceRequest? Parse(string[] segments, ResourceRegistry registry)
    {
        string group, version;
        int rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = (string.Empty, segments[1], 2);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return null;
        }
        var r = segments[rest..];
        if (r.Length >= 3 && r[0] == "namespaces" && registry.Find(group, version, r[2]) is { Namespaced: true } nsType)
        {
            if (r.Length > 5) throw NotFound();
            return new ResourceRequest(nsType, version, r[1], r.ElementAtOrDefault(3), r.ElementAtOrDefault(4));
        }
        var type = registry.Find(group, version, r[0]) ?? throw NotFound();
        if (r.Length > 3) throw NotFound();
        if (type.Namespaced && r.Length > 1) throw NotFound();
        var sub = r.ElementAtOrDefault(2);
        if (sub is not null && (sub != "status" || !type.HasStatus)) throw NotFound();
        return new ResourceRequest(type, version, null, r.ElementAtOrDefault(1), sub);
    }

    private static ApiException NotFound() => new(404, "NotFound", "the server could not find the requested resource");
}
