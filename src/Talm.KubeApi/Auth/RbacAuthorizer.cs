using System.Text.Json.Nodes;
using Talm.KubeApi.Json;
using Talm.KubeApi.Storage;

namespace Talm.KubeApi.Auth;

/// <summary>
/// Answers SubjectAccessReviews as the kube-apiserver's RBAC authorizer does, from the ClusterRoles,
/// ClusterRoleBindings, Roles and RoleBindings stored in the lab server: a request is allowed when a
/// binding whose subject is the user, one of its groups or its ServiceAccount
/// (<c>system:serviceaccount:NS:NAME</c>) grants a rule matching it; members of
/// <c>system:masters</c> are allowed everything. Not modelled: aggregated ClusterRoles
/// (<c>aggregationRule</c>), impersonation, and any authorizer other than RBAC.
/// </summary>
public sealed class RbacAuthorizer(ObjectStore store)
{
    private const string ClusterRoles = "rbac.authorization.k8s.io/clusterroles";
    private const string ClusterRoleBindings = "rbac.authorization.k8s.io/clusterrolebindings";
    private const string Roles = "rbac.authorization.k8s.io/roles";
    private const string RoleBindings = "rbac.authorization.k8s.io/rolebindings";

    /// <summary>The request a review asks about: resource attributes (with namespace) or a non-resource path.</summary>
    public sealed record Attributes(string Verb, string? Namespace, string Group, string Resource, string Subresource, string Name, string? Path);

    public (bool Allowed, string Reason) Authorize(string user, IReadOnlyList<string> groups, Attributes request)
    {
        if (groups.Contains(StaticTokens.Masters)) return (true, $"allowed: {StaticTokens.Masters} may do anything");
        foreach (var binding in store.List(ClusterRoleBindings, null).Items)
        {
            if (!Binds(binding.Node, user, groups)) continue;
            var role = RoleOf(binding.Node, null);
            if (role is not null && Rules(role).Any(r => Matches(r, request, clusterWide: true)))
                return (true, $"RBAC: allowed by ClusterRoleBinding \"{binding.Name}\"");
        }
        if (request.Path is null && !string.IsNullOrEmpty(request.Namespace))
        {
            foreach (var binding in store.List(RoleBindings, request.Namespace).Items)
            {
                if (!Binds(binding.Node, user, groups)) continue;
                var role = RoleOf(binding.Node, request.Namespace);
                if (role is not null && Rules(role).Any(r => Matches(r, request, clusterWide: false)))
                    return (true, $"RBAC: allowed by RoleBinding \"{binding.Name}/{request.Namespace}\"");
            }
        }
        return (false, "");
    }

    private JsonObject? RoleOf(JsonObject binding, string? ns)
    {
        var kind = JsonUtil.Str(binding["roleRef"], "kind");
        var name = JsonUtil.Str(binding["roleRef"], "name") ?? "";
        return kind switch
        {
            "ClusterRole" => store.Get(ClusterRoles, "", name)?.Node,
            "Role" when ns is not null => store.Get(Roles, ns, name)?.Node,
            _ => null,
        };
    }

    private static bool Binds(JsonObject binding, string user, IReadOnlyList<string> groups)
    {
        var bindingNs = JsonUtil.MetaStr(binding, "namespace");
        foreach (var subject in (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = JsonUtil.Str(subject, "name");
            var matched = JsonUtil.Str(subject, "kind") switch
            {
                "User" => name == user,
                "Group" => name is not null && groups.Contains(name),
                "ServiceAccount" => user == $"system:serviceaccount:{JsonUtil.Str(subject, "namespace") ?? bindingNs}:{name}",
                _ => false,
            };
            if (matched) return true;
        }
        return false;
    }

    private static IEnumerable<JsonObject> Rules(JsonObject role) => (role["rules"] as JsonArray ?? []).OfType<JsonObject>();

    private static bool Matches(JsonObject rule, Attributes request, bool clusterWide)
    {
        if (!AnyOf(rule["verbs"], v => v == "*" || v == request.Verb)) return false;
        if (request.Path is { } path)
        {
            // Non-resource URLs are granted only cluster-wide; "/prefix/*" covers what starts with "/prefix/".
            return clusterWide && AnyOf(rule["nonResourceURLs"], u => u == "*" || u == path
                || (u.EndsWith('*') && path.StartsWith(u[..^1], StringComparison.Ordinal)));
        }
        var resource = request.Subresource.Length == 0 ? request.Resource : $"{request.Resource}/{request.Subresource}";
        return AnyOf(rule["apiGroups"], g => g == "*" || g == request.Group)
            && AnyOf(rule["resources"], r => r == "*" || r == resource
                || (request.Subresource.Length > 0 && r == "*/" + request.Subresource))
            && (rule["resourceNames"] is not JsonArray { Count: > 0 } names || names.Any(n => JsonUtil.Scalar(n) == request.Name));
    }

    private static bool AnyOf(JsonNode? list, Func<string, bool> match) =>
        list is JsonArray items && items.Any(i => JsonUtil.Scalar(i) is { } s && match(s));
}
