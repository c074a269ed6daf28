using System.Net;
using k8s.Autorest;

namespace Talm.Operator.Kube;

public static class KubeErrors
{
    public static HttpStatusCode? StatusOf(Exception e) => e is HttpOperationException h ? h.Response.StatusCode : null;

    public static bool IsNotFound(Exception e) => StatusOf(e) == HttpStatusCode.NotFound;

    /// <summary>409 is both AlreadyExists (on create) and Conflict (stale resourceVersion on update).</summary>
    public static bool IsConflict(Exception e) => StatusOf(e) == HttpStatusCode.Conflict;
}
