using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Talm.KubeApi.Json;
using Talm.KubeApi.Semantics;
using Talm.KubeApi.Storage;

namespace Talm.KubeApi.Http;

/// <summary>Lists: selectors, pages with continue tokens, and the resourceVersion a list may be served at.</summary>
public sealed partial class ApiHandler
{
    private async Task ListAsync(HttpContext ctx, ResourceRequest request)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelectorQuery.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"], request.Type.Kind == "Event");
        var (items, rv) = _service.Store.List(request.Type.StoreKey, request.Namespace);
        string? after = null;
        if (q["continue"].ToString() is { Length: > 0 } token)
        {
            (rv, after) = DecodeContinue(token);
        }
        var matching = items.Where(o => (after is null || string.CompareOrdinal(StoredObject.Key(o.Namespace, o.Name), after) > 0)
            && labels.Matches(JsonUtil.Labels(o.Node)) && fields.Matches(o.Node));
        var limit = int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? l : int.MaxValue;
        var page = new List<StoredObject>();
        var remaining = 0;
        foreach (var o in matching)
        {
            if (page.Count < limit) page.Add(o);
            else remaining++;
        }
        string? next = remaining > 0 ? EncodeContinue(rv, StoredObject.Key(page[^1].Namespace, page[^1].Name)) : null;
        if (TableBuilder.Wanted(ctx.Request.Headers.Accept))
        {
            var table = new TableBuilder(request.Type, request.Version, _time.GetUtcNow(), q["includeObject"]);
            await WriteJsonAsync(ctx, table.Table(page.Select(o => Versioned(o, request)), Rv(rv), next), 200);
            return;
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", request.Type.ListKind);
            w.WriteString("apiVersion", request.Type.ApiVersion(request.Version));
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", Rv(rv));
            if (next is not null)
            {
                w.WriteString("continue", next);
                w.WriteNumber("remainingItemCount", remaining);
            }
            w.WriteEndObject();
            w.WriteStartArray("items");
            foreach (var o in page) w.WriteRawValue(JsonBytes(o, request), skipInputValidation: true);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(ctx.Response.Body);
    }

    /// <summary>A read at a resourceVersion is at least that fresh: one the store has not reached is 504, as on the real server.</summary>
    private void CheckReached(IQueryCollection q)
    {
        if (q["resourceVersion"].ToString() is not { Length: > 0 } text || text == "0") return;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv))
            throw ApiException.BadRequest($"resourceVersion \"{text}\" is not a valid version");
        var current = _service.Store.CurrentResourceVersion;
        if (rv > current) throw ApiException.TooLargeResourceVersion(rv, current);
    }

    private static string EncodeContinue(long rv, string key) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(Rv(rv) + "|" + key));

    private static (long, string) DecodeContinue(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return (long.Parse(text[..bar], CultureInfo.InvariantCulture), text[(bar + 1)..]);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw ApiException.BadRequest("the continue token is not valid; restart the list without it");
        }
    }
}
