using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Talm.Api.Meta;
using Talm.KubeApi.Json;
using Talm.KubeApi.Semantics;
using Talm.KubeApi.Storage;

namespace Talm.KubeApi.Http;

/// <summary>
/// Streams a watch as newline-delimited JSON events. Selector watches see objects enter (ADDED) and leave
/// (DELETED) as the real API server shows them; bookmarks carry a version the client may resume from.
/// </summary>
public sealed class WatchStreamer
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);
    private readonly ObjectStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _bookmarkInterval;

    public WatchStreamer(ObjectStore store, TimeProvider time, TimeSpan bookmarkInterval)
    {
        _store = store;
        _time = time;
        _bookmarkInterval = bookmarkInterval;
    }

    public async Task StreamAsync(HttpContext ctx, ResourceRequest request)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelectorQuery.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"], request.Type.Kind == "Event");
        var bookmarks = ApiHandler.IsTrue(q["allowWatchBookmarks"]);
        var timeout = int.TryParse(q["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var ts) && ts > 0
            ? TimeSpan.FromSeconds(ts) : DefaultTimeout;
        long? from = q["resourceVersion"].ToString() is { Length: > 0 } rvText && rvText != "0"
            ? long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var rv) ? rv
                : throw ApiException.BadRequest($"resourceVersion \"{rvText}\" is not a valid version")
            : null;
        TableBuilder? table = TableBuilder.Wanted(ctx.Request.Headers.Accept)
            ? new TableBuilder(request.Type, request.Version, _time.GetUtcNow(), q["includeObject"])
            : null;

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        var body = ctx.Response.Body;
        WatchSubscription sub;
        long lastRv;
        try
        {
            sub = _store.Subscribe(request.Type.StoreKey, request.Namespace, from, out lastRv);
        }
        catch (ApiException e) when (e.Code is 410 or 504)
        {
            // As the real server does: a 200 stream whose only event is an ERROR carrying the Status (410 or 504).
            await WriteEventAsync(body, "ERROR", JsonUtil.Serialize(e.ToStatus()));
            await body.FlushAsync();
            return;
        }
        await body.FlushAsync();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        cts.CancelAfter(timeout);
        try
        {
            var reader = sub.Events.Reader;
            while (!cts.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                if (bookmarks) wait.CancelAfter(_bookmarkInterval);
                bool ready;
                try
                {
                    ready = await reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cts.IsCancellationRequested)
                {
                    lastRv = await BookmarkAsync(body, request, lastRv, () => reader.Count == 0);
                    continue;
                }
                if (!ready) break;
                while (reader.TryRead(out var e))
                {
                    lastRv = Math.Max(lastRv, e.ResourceVersion);
                    if (Classify(e, labels, fields) is not { } type) continue;
                    var obj = e.Object;
                    if (table is not null)
                    {
                        await WriteEventAsync(body, type, JsonUtil.Serialize(table.Table([ApiHandler.Versioned(obj, request)], ApiHandler.Rv(obj.ResourceVersion), null)));
                    }
                    else if (JsonUtil.Str(obj.Node, "apiVersion") == request.Type.ApiVersion(request.Version))
                    {
                        await body.WriteAsync(e.Frame(type), cts.Token);
                    }
                    else
                    {
                        await WriteEventAsync(body, type, ApiHandler.JsonBytes(obj, request));
                    }
                }
                await body.FlushAsync(cts.Token);
            }
            if (bookmarks && !ctx.RequestAborted.IsCancellationRequested)
            {
                await BookmarkAsync(body, request, lastRv, () => reader.Count == 0);
            }
        }
        catch (OperationCanceledException)
        {
            // Timeout or client gone: the stream just ends, the client re-watches from its last version.
        }
        finally
        {
            _store.Unsubscribe(sub);
        }
    }

    private static string? Classify(StoreEvent e, LabelSelector labels, FieldSelector fields)
    {
        bool Matches(StoredObject? o) => o is not null && labels.Matches(JsonUtil.Labels(o.Node)) && fields.Matches(o.Node);
        var now = Matches(e.Object);
        var before = Matches(e.Previous);
        return e.Type switch
        {
            StoreEventType.Added => now ? "ADDED" : null,
            StoreEventType.Modified when now && before => "MODIFIED",
            StoreEventType.Modified when now => "ADDED",
            StoreEventType.Modified when before => "DELETED",
            StoreEventType.Deleted when now || before => "DELETED",
            _ => null,
        };
    }

    /// <summary>
    /// A bookmark may carry the store's current version only when nothing is queued for this watch: every
    /// event up to that version was published under the store lock before we read it, so none is skipped.
    /// </summary>
    private async Task<long> BookmarkAsync(Stream body, ResourceRequest request, long lastRv, Func<bool> idle)
    {
        var rv = lastRv;
        var current = _store.CurrentResourceVersion;
        if (idle()) rv = Math.Max(rv, current);
        var obj = new JsonObject
        {
            ["kind"] = request.Type.Kind,
            ["apiVersion"] = request.Type.ApiVersion(request.Version),
            ["metadata"] = new JsonObject { ["resourceVersion"] = ApiHandler.Rv(rv) },
        };
        await WriteEventAsync(body, "BOOKMARK", JsonUtil.Serialize(obj));
        await body.FlushAsync();
        return rv;
    }

    private static async Task WriteEventAsync(Stream body, string type, byte[] objectJson) =>
        await body.WriteAsync(StoreEvent.BuildFrame(type, objectJson));
}
