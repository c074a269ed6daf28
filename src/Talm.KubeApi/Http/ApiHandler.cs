using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Talm.Api.Meta;
using Talm.KubeApi.Auth;
using Talm.KubeApi.Json;
using Talm.KubeApi.Metrics;
using Talm.KubeApi.Resources;
using Talm.KubeApi.Semantics;
using Talm.KubeApi.Storage;

namespace Talm.KubeApi.Http;

/// <summary>
/// Maps HTTP requests to discovery, OpenAPI and the REST verbs of <see cref="ObjectService"/>: dispatch and writes here,
/// lists in ApiHandler.List.cs, bodies and responses in ApiHandler.Bodies.cs.
/// </summary>
public sealed partial class ApiHandler
{
    private readonly ObjectService _service;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly WatchStreamer _watches;
    private readonly RequestMetrics _requests;
    private readonly Reviews _reviews;
    private string _serverAddress = "127.0.0.1";

    public ApiHandler(ObjectService service, TimeProvider time, TimeSpan bookmarkInterval, ILogger log, RequestMetrics requests, Reviews reviews)
    {
        _reviews = reviews;
        _service = service;
        _time = time;
        _log = log;
        _requests = requests;
        _watches = new WatchStreamer(service.Store, time, bookmarkInterval);
    }

    public void SetServerAddress(string address) => _serverAddress = address;

    public async Task HandleAsync(HttpContext ctx)
    {
        var started = _time.GetTimestamp();
        var counted = new CountedRequest(ctx.Request.Method, RequestMetrics.Client(ctx.Request.Headers.UserAgent));
        try
        {
            await DispatchAsync(ctx, counted);
        }
        catch (ApiException e)
        {
            await WriteStatusAsync(ctx, e);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own limits and framing errors while reading the body.
            await WriteStatusAsync(ctx, e.StatusCode == 413 ? RequestGuard.TooLarge() : new ApiException(e.StatusCode, "BadRequest", e.Message));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogError(e, "Request {Method} {Path} failed", ctx.Request.Method, ctx.Request.Path);
            await WriteStatusAsync(ctx, new ApiException(500, "InternalError", $"internal error: {e.Message}"));
        }
        finally
        {
            counted.Record(_requests, ctx.Response.StatusCode);
            if (_log.IsEnabled(LogLevel.Debug))
            {
                _log.LogDebug("{Method} {Path}{Query} {Status} {ElapsedMs:F1} ms", ctx.Request.Method, ctx.Request.Path, ctx.Request.QueryString,
                    ctx.Response.StatusCode, _time.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }

    private static async Task WriteStatusAsync(HttpContext ctx, ApiException e)
    {
        if (ctx.Response.HasStarted) return;
        await WriteJsonAsync(ctx, e.ToStatus(), e.Code);
    }

    private async Task DispatchAsync(HttpContext ctx, CountedRequest counted)
    {
        RequestGuard.Check(ctx.Request);
        var path = ctx.Request.Path.Value ?? "/";
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = ctx.Request.Method;
        if (method == "GET")
        {
            if (segments is ["openapi", "v2"])
            {
                var (contentType, body) = OpenApiDocuments.V2(ctx.Request.Headers.Accept.ToString());
                ctx.Response.ContentType = contentType;
                await ctx.Response.Body.WriteAsync(body);
                return;
            }
            var doc = Static(segments);
            if (doc is not null)
            {
                await WriteJsonAsync(ctx, doc, 200);
                return;
            }
            if (segments is ["healthz" or "readyz" or "livez"])
            {
                ctx.Response.ContentType = "text/plain";
                await ctx.Response.WriteAsync("ok");
                return;
            }
            if (segments is ["metrics"])
            {
                ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await ctx.Response.WriteAsync(_requests.Render());
                return;
            }
        }
        var request = ResourceRequest.Parse(segments, _service.Registry)
            ?? throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        var q = ctx.Request.Query;
        var dryRun = q["dryRun"].ToString() == "All";
        var fieldValidation = q["fieldValidation"].ToString();
        counted.Resolve(request, Verb(method, request, ctx.Request.ContentType, IsTrue(q["watch"])), dryRun);
        if (request.Type.IsReview)
        {
            await ReviewAsync(ctx, request, method);
            return;
        }
        switch (method)
        {
            case "GET" when request.Name is null && IsTrue(q["watch"]):
                // A watch lasts as long as the client wants: count it once its response has begun, as its code is known then.
                ctx.Response.OnStarting(() =>
                {
                    counted.Record(_requests, ctx.Response.StatusCode);
                    return Task.CompletedTask;
                });
                await _watches.StreamAsync(ctx, request);
                break;
            case "GET" when request.Name is null:
                CheckReached(q);
                await ListAsync(ctx, request);
                break;
            case "GET":
                CheckReached(q);
                await WriteObjectAsync(ctx, request, _service.Get(request.Type, request.Namespace, request.Name), 200);
                break;
            case "POST" when request.Name is null:
            {
                var body = await ReadBodyAsync(ctx);
                var result = _service.Create(request.Type, request.Version, request.Namespace, body, dryRun, fieldValidation);
                await result.Durable;
                await WriteObjectAsync(ctx, request, result.Object!, 201);
                break;
            }
            case "PUT" when request.Name is not null:
            {
                var body = await ReadBodyAsync(ctx);
                var result = _service.Update(request.Type, request.Version, request.Namespace, request.Name, body, request.Subresource == "status", dryRun, fieldValidation);
                await result.Durable;
                await WriteObjectAsync(ctx, request, result.Object!, 200);
                break;
            }
            case "PATCH" when request.Name is not null:
                await PatchAsync(ctx, request, dryRun, fieldValidation);
                break;
            case "DELETE" when request.Name is not null:
            {
                var options = RequestGuard.HasBody(ctx.Request)
                    ? await ReadBodyAsync(ctx, allowEmpty: true) : null;
                // kubectl delete --dry-run=server sends it in the DeleteOptions body, not the query.
                dryRun |= (options?["dryRun"] as JsonArray)?.Any(v => JsonUtil.Scalar(v) == "All") == true;
                var result = _service.Delete(request.Type, request.Namespace, request.Name, options, dryRun);
                await result.Durable;
                if (result.EventType == StoreEventType.Deleted && !request.Type.IsCustom && request.Type != BuiltinResources.Namespace)
                    await WriteJsonAsync(ctx, Success(request, result.Object!), 200);
                else
                    await WriteObjectAsync(ctx, request, result.Object!, 200);
                break;
            }
            case "DELETE":
            {
                var deleted = _service.DeleteCollection(request.Type, request.Namespace,
                    LabelSelectorQuery.Parse(q["labelSelector"]), FieldSelector.Parse(q["fieldSelector"], request.Type.Kind == "Event"));
                var list = new JsonObject
                {
                    ["kind"] = request.Type.ListKind,
                    ["apiVersion"] = request.Type.ApiVersion(request.Version),
                    ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(_service.Store.CurrentResourceVersion) },
                    ["items"] = new JsonArray(deleted.Select(d => (JsonNode)ObjectService.AsVersion(d.Node, request.Type, request.Version)).ToArray()),
                };
                await WriteJsonAsync(ctx, list, 200);
                break;
            }
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {path})");
        }
    }

    private async Task ReviewAsync(HttpContext ctx, ResourceRequest request, string method)
    {
        if (method != "POST" || request.Name is not null)
            throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {ctx.Request.Path}): {request.Type.Plural} can only be created");
        var body = await ReadBodyAsync(ctx);
        var answer = request.Type.Kind switch
        {
            "TokenReview" => _reviews.TokenReview(body),
            _ => _reviews.SubjectAccessReview(body),
        };
        answer["apiVersion"] = request.Type.ApiVersion(request.Version);
        answer["kind"] = request.Type.Kind;
        await WriteJsonAsync(ctx, answer, 201);
    }

    /// <summary>The kube-apiserver's verb for a resource request (what its metrics and audit call it).</summary>
    private static string Verb(string method, ResourceRequest request, string? contentType, bool watch) => method switch
    {
        "GET" when request.Name is not null => "GET",
        "GET" => watch ? "WATCH" : "LIST",
        "POST" => "CREATE",
        "PUT" => "UPDATE",
        "PATCH" when (contentType ?? string.Empty).StartsWith("application/apply-patch", StringComparison.Ordinal) => "APPLY",
        "PATCH" => "PATCH",
        "DELETE" => request.Name is null ? "DELETECOLLECTION" : "DELETE",
        _ => method,
    };

    private JsonObject? Static(string[] s) => s switch
    {
        ["version"] => DiscoveryDocuments.Version(),
        ["api"] => DiscoveryDocuments.CoreVersions(_serverAddress),
        ["api", "v1"] => DiscoveryDocuments.ResourceList(_service.Registry, string.Empty, "v1"),
        ["apis"] => DiscoveryDocuments.GroupList(_service.Registry),
        ["apis", var g] => DiscoveryDocuments.GroupDocument(_service.Registry, g)
            ?? throw new ApiException(404, "NotFound", "the server could not find the requested resource"),
        ["apis", var g, var v] => _service.Registry.IsGroupVersionServed(g, v)
            ? DiscoveryDocuments.ResourceList(_service.Registry, g, v)
            : throw new ApiException(404, "NotFound", "the server could not find the requested resource"),
        ["openapi", "v3"] => OpenApiDocuments.Root(_service.Registry),
        ["openapi", "v3", "api", var v] => OpenApiDocuments.GroupVersion(_service.Registry, string.Empty, v) ?? throw NoSpec(),
        ["openapi", "v3", "apis", var g, var v] => OpenApiDocuments.GroupVersion(_service.Registry, g, v) ?? throw NoSpec(),
        _ => null,
    };

    private static ApiException NoSpec() => new(404, "NotFound", "no OpenAPI document for that group-version");

    private async Task PatchAsync(HttpContext ctx, ResourceRequest request, bool dryRun, string fieldValidation)
    {
        var contentType = RequestGuard.MediaType(ctx.Request.ContentType);
        var bytes = await ReadBytesAsync(ctx);
        var statusOnly = request.Subresource == "status";
        WriteResult result;
        if (contentType == "application/apply-patch+yaml")
        {
            var applied = YamlBody.ParseObject(Encoding.UTF8.GetString(bytes));
            JsonUtil.Metadata(applied).Remove("resourceVersion");
            if (!statusOnly && _service.Store.Get(request.Type.StoreKey, request.Namespace ?? string.Empty, request.Name!) is null)
            {
                JsonUtil.Metadata(applied)["name"] ??= request.Name;
                result = _service.Create(request.Type, request.Version, request.Namespace, applied, dryRun, fieldValidation);
                await result.Durable;
                await WriteObjectAsync(ctx, request, result.Object!, 201);
                return;
            }
            result = _service.Patch(request.Type, request.Version, request.Namespace, request.Name!,
                current => (JsonObject)Patches.MergePatch(current, applied)!, statusOnly, dryRun, fieldValidation);
        }
        else
        {
            Func<JsonObject, JsonObject> apply = contentType switch
            {
                "application/merge-patch+json" => current => Patches.MergePatch(current, ParseNode(bytes)) as JsonObject
                    ?? throw ApiException.BadRequest("a merge patch must be a JSON object: anything else would replace the whole object"),
                "application/json-patch+json" => current => Patches.JsonPatch(current, ParseNode(bytes) ?? new JsonArray()),
                "application/strategic-merge-patch+json" when request.Type.IsCustom => throw new ApiException(415, "UnsupportedMediaType",
                    "strategic merge patch is not supported for custom resources; use --type merge or --type json"),
                "application/strategic-merge-patch+json" => current => Patches.StrategicMergePatch(current, ParseNode(bytes) as JsonObject
                    ?? throw ApiException.BadRequest("a strategic merge patch must be a JSON object")),
                _ => throw new ApiException(415, "UnsupportedMediaType", $"the patch content type \"{contentType}\" is not supported"),
            };
            result = _service.Patch(request.Type, request.Version, request.Namespace, request.Name!, apply, statusOnly, dryRun, fieldValidation);
        }
        await result.Durable;
        await WriteObjectAsync(ctx, request, result.Object!, 200);
    }

    private static JsonNode? ParseNode(byte[] bytes) => JsonUtil.ParseBody(bytes, "the patch");
}
