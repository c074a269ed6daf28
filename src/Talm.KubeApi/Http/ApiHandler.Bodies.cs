using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Talm.KubeApi.Json;
using Talm.KubeApi.Storage;

namespace Talm.KubeApi.Http;

/// <summary>Reading request bodies and writing objects, Status and Table responses.</summary>
public sealed partial class ApiHandler
{
    internal static string Rv(long rv) => rv.ToString(CultureInfo.InvariantCulture);

    internal static bool IsTrue(Microsoft.Extensions.Primitives.StringValues v) => v.ToString() is "true" or "1";

    internal static JsonObject Versioned(StoredObject o, ResourceRequest request) =>
        JsonUtil.Str(o.Node, "apiVersion") == request.Type.ApiVersion(request.Version) ? o.Node : ObjectService.AsVersion(o.Node, request.Type, request.Version);

    internal static byte[] JsonBytes(StoredObject o, ResourceRequest request) =>
        JsonUtil.Str(o.Node, "apiVersion") == request.Type.ApiVersion(request.Version)
            ? o.Json
            : JsonUtil.Serialize(ObjectService.AsVersion(o.Node, request.Type, request.Version));

    private async Task WriteObjectAsync(HttpContext ctx, ResourceRequest request, StoredObject obj, int code)
    {
        if (TableBuilder.Wanted(ctx.Request.Headers.Accept))
        {
            var table = new TableBuilder(request.Type, request.Version, _time.GetUtcNow(), ctx.Request.Query["includeObject"]);
            await WriteJsonAsync(ctx, table.Table([Versioned(obj, request)], Rv(obj.ResourceVersion), null), code);
            return;
        }
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(JsonBytes(obj, request));
    }

    private static JsonObject Success(ResourceRequest request, StoredObject obj) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject
        {
            ["name"] = obj.Name,
            ["group"] = request.Type.Group,
            ["kind"] = request.Type.Plural,
            ["uid"] = JsonUtil.MetaStr(obj.Node, "uid"),
        },
    };

    internal static async Task WriteJsonAsync(HttpContext ctx, JsonNode node, int code)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(JsonUtil.Serialize(node));
    }

    private static async Task<byte[]> ReadBytesAsync(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await ctx.Request.Body.ReadAsync(buffer)) > 0)
        {
            ms.Write(buffer, 0, read);
            if (ms.Length > RequestGuard.MaxBodyBytes) throw RequestGuard.TooLarge();
        }
        return ms.ToArray();
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpContext ctx, bool allowEmpty = false)
    {
        var bytes = await ReadBytesAsync(ctx);
        if (bytes.Length == 0)
        {
            return allowEmpty ? new JsonObject() : throw ApiException.BadRequest("the request needs a body");
        }
        return RequestGuard.MediaType(ctx.Request.ContentType) switch
        {
            ProtobufDecoder.ContentType => ProtobufDecoder.Decode(bytes),
            "application/yaml" => YamlBody.ParseObject(Encoding.UTF8.GetString(bytes)),
            _ => JsonUtil.ParseObject(bytes),
        };
    }
}
