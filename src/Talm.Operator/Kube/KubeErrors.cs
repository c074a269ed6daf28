using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Talm.Operator.Kube;

public static class KubeErrors
{
    public static HttpStatusCode? StatusOf(Exception e) => e is HttpOperationException h ? h.Response.StatusCode : null;

    public static bool IsNotFound(Exception e) => StatusOf(e) == HttpStatusCode.NotFound;

    /// <summary>409 is both AlreadyExists (on create) and Conflict (stale resourceVersion on update).</summary>
    public static bool IsConflict(Exception e) => StatusOf(e) == HttpStatusCode.Conflict;

    /// <summary>
    /// Whether the server asks for a list without a resourceVersion: 410 Gone (the version is compacted away)
    /// or 504 "Too large resource version" (the server has not reached it, e.g. it came back with older
    /// data), in a watch's ERROR event or as the response itself, as client-go's reflector recognises them.
    /// </summary>
    public static bool MustRelist(Exception e) => e switch
    {
        KubernetesException { Status: { } status } => MustRelist(status),
        HttpOperationException h when h.Response.StatusCode == HttpStatusCode.Gone => true,
        HttpOperationException h when h.Response.StatusCode == HttpStatusCode.GatewayTimeout => StatusIn(h.Response.Content) is { } s && MustRelist(s),
        _ => false,
    };

    private static bool MustRelist(V1Status status) =>
        status.Code == 410 ||
        (status.Code == 504 && (status.Details?.Causes?.Any(c => c.Reason == "ResourceVersionTooLarge") == true ||
                                status.Message?.Contains("Too large resource version", StringComparison.Ordinal) == true));

    private static V1Status? StatusIn(string? body)
    {
        try
        {
            return body is null ? null : KubernetesJson.Deserialize<V1Status>(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
