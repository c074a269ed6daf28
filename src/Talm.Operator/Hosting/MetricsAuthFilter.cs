using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Talm.Operator.Hosting;

/// <summary>
/// Who may read /metrics, decided as controller-runtime's <c>WithAuthenticationAndAuthorization</c>
/// filter decides it: the caller's bearer token is checked with a TokenReview, then the user it
/// names is checked with a SubjectAccessReview for the request's verb on the non-resource URL (get
/// on /metrics). No or a rejected token: 401; not allowed: 403. Answers are kept for
/// controller-runtime's times (authenticated 1 minute, allowed 5 minutes, denied 30 seconds) so a
/// scrape every few seconds costs the API server nothing more.
/// </summary>
public sealed class MetricsAuthFilter(IKubernetes client, TimeProvider time, ILogger log)
{
    private const int MaxCached = 1024;
    private static readonly TimeSpan AuthenticatedFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RejectedFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AllowedFor = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan DeniedFor = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (V1UserInfo? User, DateTimeOffset Until)> _users = new();
    private readonly ConcurrentDictionary<string, (bool Allowed, string Reason, DateTimeOffset Until)> _decisions = new();

    public sealed record Decision(int Status, string Message)
    {
        public bool Allowed => Status == 200;
    }

    public async Task<Decision> CheckAsync(string? authorization, string verb, string path, CancellationToken cancel)
    {
        var token = BearerToken(authorization);
        if (token is null) return new Decision(401, "Unauthorized: a bearer token is required");
        var tokenKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

        V1UserInfo? user;
        try
        {
            user = await AuthenticateAsync(tokenKey, token, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("TokenReview for a /metrics request failed: {Error}", e.Message);
            return new Decision(401, "Unauthorized");
        }
        if (user is null) return new Decision(401, "Unauthorized");

        var attributesKey = $"{tokenKey} {verb} {path}";
        var now = time.GetUtcNow();
        if (!_decisions.TryGetValue(attributesKey, out var decided) || decided.Until <= now)
        {
            try
            {
                var review = await client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
                {
                    ApiVersion = "authorization.k8s.io/v1",
                    Kind = "SubjectAccessReview",
                    Spec = new V1SubjectAccessReviewSpec
                    {
                        User = user.Username,
                        Uid = user.Uid,
                        Groups = user.Groups,
                        Extra = user.Extra,
                        NonResourceAttributes = new V1NonResourceAttributes { Path = path, Verb = verb },
                    },
                }, cancellationToken: cancel).ConfigureAwait(false);
                var allowed = review.Status?.Allowed == true;
                decided = (allowed, review.Status?.Reason ?? "", now + (allowed ? AllowedFor : DeniedFor));
                Remember(_decisions, attributesKey, decided);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning("SubjectAccessReview for a /metrics request failed: {Error}", e.Message);
                return new Decision(500, "Authorization error");
            }
        }
        if (decided.Allowed) return new Decision(200, "");
        var why = decided.Reason.Length > 0 ? $" ({decided.Reason})" : "";
        return new Decision(403, $"Forbidden: user \"{user.Username}\" cannot {verb} path \"{path}\"{why}");
    }

    private async Task<V1UserInfo?> AuthenticateAsync(string tokenKey, string token, CancellationToken cancel)
    {
        var now = time.GetUtcNow();
        if (_users.TryGetValue(tokenKey, out var known) && known.Until > now) return known.User;
        var review = await client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview
        {
            ApiVersion = "authentication.k8s.io/v1",
            Kind = "TokenReview",
            Spec = new V1TokenReviewSpec { Token = token },
        }, cancellationToken: cancel).ConfigureAwait(false);
        var user = review.Status?.Authenticated == true && review.Status.User is { Username.Length: > 0 } u ? u : null;
        Remember(_users, tokenKey, (user, now + (user is null ? RejectedFor : AuthenticatedFor)));
        return user;
    }

    private static void Remember<T>(ConcurrentDictionary<string, T> cache, string key, T value)
    {
        // Tokens are few (Prometheus, an admin); a flood of distinct ones must not grow memory without bound.
        if (cache.Count >= MaxCached) cache.Clear();
        cache[key] = value;
    }

    internal static string? BearerToken(string? authorization)
    {
        if (authorization is null) return null;
        var value = authorization.Trim();
        const string scheme = "Bearer ";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var token = value[scheme.Length..].Trim();
        return token.Length == 0 ? null : token;
    }
}
