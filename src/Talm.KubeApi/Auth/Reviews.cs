using System.Text.Json.Nodes;
using Talm.KubeApi.Json;

namespace Talm.KubeApi.Auth;

/// <summary>
/// TokenReview (authentication.k8s.io/v1) and SubjectAccessReview (authorization.k8s.io/v1): the
/// review a client creates comes back with its status filled in, as from a real server; nothing
/// is stored. This is all the authentication and authorization the lab server does: it answers
/// these questions for others (the operator's metrics filter) but does not check its own callers.
/// </summary>
public sealed class Reviews(StaticTokens tokens, RbacAuthorizer rbac)
{
    public JsonObject TokenReview(JsonObject review)
    {
        var token = JsonUtil.Str(review["spec"], "token");
        if (string.IsNullOrEmpty(token)) throw ApiException.BadRequest("TokenReview: spec.token is required");
        var user = tokens.Find(token);
        var status = new JsonObject { ["authenticated"] = user is not null };
        if (user is not null)
        {
            status["user"] = new JsonObject
            {
                ["username"] = user.Name,
                ["uid"] = user.Uid,
                ["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode)g).ToArray()),
            };
            status["audiences"] = review["spec"]?["audiences"]?.DeepClone() ?? new JsonArray();
        }
        else
        {
            status["error"] = "invalid bearer token";
        }
        return Answer(review, status);
    }

    public JsonObject SubjectAccessReview(JsonObject review)
    {
        var spec = review["spec"] as JsonObject ?? throw ApiException.BadRequest("SubjectAccessReview: spec is required");
        var user = JsonUtil.Str(spec, "user") ?? "";
        var groups = (spec["groups"] as JsonArray ?? []).Select(JsonUtil.Scalar).OfType<string>().ToList();
        if (user.Length == 0 && groups.Count == 0)
            throw ApiException.BadRequest("SubjectAccessReview: at least one of spec.user and spec.groups must be set");
        RbacAuthorizer.Attributes attributes;
        if (spec["nonResourceAttributes"] is JsonObject nonResource)
        {
            attributes = new(JsonUtil.Str(nonResource, "verb") ?? "", null, "", "", "", "", JsonUtil.Str(nonResource, "path") ?? "");
        }
        else if (spec["resourceAttributes"] is JsonObject resource)
        {
            attributes = new(JsonUtil.Str(resource, "verb") ?? "", JsonUtil.Str(resource, "namespace"), JsonUtil.Str(resource, "group") ?? "",
                JsonUtil.Str(resource, "resource") ?? "", JsonUtil.Str(resource, "subresource") ?? "", JsonUtil.Str(resource, "name") ?? "", null);
        }
        else
        {
            throw ApiException.BadRequest("SubjectAccessReview: one of spec.resourceAttributes and spec.nonResourceAttributes is required");
        }
        var (allowed, reason) = rbac.Authorize(user, groups, attributes);
        var status = new JsonObject { ["allowed"] = allowed };
        if (reason.Length > 0) status["reason"] = reason;
        return Answer(review, status);
    }

    private static JsonObject Answer(JsonObject review, JsonObject status)
    {
        var answer = JsonUtil.Clone(review);
        answer["metadata"] = new JsonObject { ["creationTimestamp"] = null };
        answer["status"] = status;
        return answer;
    }
}
