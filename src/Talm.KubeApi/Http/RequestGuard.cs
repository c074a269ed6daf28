using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Talm.KubeApi.Http;

/// <summary>
/// What the lab server refuses before it looks at a request, since it has no authentication: a
/// <c>Host</c> that is not a loopback name (a web page that re-pointed its own DNS name at 127.0.0.1,
/// DNS rebinding), an <c>Origin</c> that is not a loopback page (a web page's cross-site request),
/// a body in a type a page can send without asking first (no type, text/plain, forms), and a body
/// over the real API server's limit.
/// </summary>
public static class RequestGuard
{
    /// <summary>The kube-apiserver's request body limit (<c>--max-request-bytes</c> default, 3 MiB).</summary>
    public const int MaxBodyBytes = 3 * 1024 * 1024;

    /// <summary>What create, update and delete bodies may be sent as, in the real server's order.</summary>
    public static readonly IReadOnlyList<string> ObjectTypes = ["application/json", "application/yaml", Json.ProtobufDecoder.ContentType];

    /// <summary>What a patch may be sent as (strategic merge only for the built-in kinds).</summary>
    public static readonly IReadOnlyList<string> PatchTypes =
        ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

    /// <summary>Throws the <see cref="ApiException"/> the request earns, or returns when it may be served.</summary>
    public static void Check(HttpRequest request)
    {
        var host = request.Host;
        if (host.HasValue && !IsLoopbackName(host.Host))
            throw Forbidden($"the lab API server answers only requests addressed to a loopback name (localhost, 127.0.0.1, [::1]), not \"{host.Host}\"");
        if (request.Headers.Origin is { Count: > 0 } origins && !IsLoopbackOrigin(origins.ToString()))
            throw Forbidden($"the lab API server has no authentication and refuses requests from web pages (Origin \"{origins}\")");
        if (request.ContentLength is > MaxBodyBytes) throw TooLarge();
        if (!HasBody(request)) return;
        var type = MediaType(request.ContentType);
        switch (request.Method)
        {
            case "PATCH":
                if (!PatchTypes.Contains(type, StringComparer.Ordinal)) throw Unsupported(PatchTypes);
                break;
            case "POST" or "PUT" or "DELETE":
                if (!ObjectTypes.Contains(type, StringComparer.Ordinal)) throw Unsupported(ObjectTypes);
                break;
        }
    }

    /// <summary>The media type without parameters, lower case (<c>application/json; charset=utf-8</c> is <c>application/json</c>).</summary>
    public static string MediaType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) && parsed.MediaType.HasValue
            ? parsed.MediaType.Value!.ToLowerInvariant()
            : string.Empty;

    public static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    public static ApiException TooLarge() =>
        new(413, "RequestEntityTooLarge", $"Request entity too large: limit is {MaxBodyBytes}");

    private static ApiException Unsupported(IReadOnlyList<string> accepted) =>
        new(415, "UnsupportedMediaType",
            $"the body of the request was in an unknown format - accepted media types include: {string.Join(", ", accepted)}");

    private static ApiException Forbidden(string message) => new(403, "Forbidden", message);

    /// <summary>localhost, any 127.0.0.0/8 address, ::1 (the names a browser never resolves through DNS).</summary>
    public static bool IsLoopbackName(string host)
    {
        if (host.Length == 0) return true;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address);
    }

    private static bool IsLoopbackOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && IsLoopbackName(uri.Host);
}
