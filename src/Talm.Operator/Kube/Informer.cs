using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Talm.Operator.Kube;

/// <summary>
/// List, then watch from the list's resourceVersion, with bookmarks; on 410 Gone or 504 "Too large
/// resource version" (a server that came back with older data than this informer saw) list again (and report what changed
/// meanwhile as events); a watchdog cancels a watch that has been silent too
/// long, since a half-open connection otherwise waits forever. Keeps an <see cref="ObjectCache"/>
/// and calls the handlers for every change, on the informer's own loop (handlers must be quick).
/// </summary>
public sealed class Informer
{
    private readonly IKubernetes _client;
    private readonly InformerOptions _options;
    private readonly ILogger _log;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Action<InformerEvent>> _handlers = [];
    private string _resourceVersion = "";

    public Informer(IKubernetes client, WatchedKind kind, ILogger log, InformerOptions? options = null)
    {
        _client = client;
        Kind = kind;
        _log = log;
        _options = options ?? new InformerOptions();
        Cache = new ObjectCache(kind.CacheShape);
    }

    public WatchedKind Kind { get; }
    public ObjectCache Cache { get; }
    public bool HasSynced => _synced.Task.IsCompleted;
    public Task Synced => _synced.Task;

    /// <summary>How many times the informer has listed (1 + relists); for tests and logs.</summary>
    public int Lists { get; private set; }

    /// <summary>How many watches the informer has opened.</summary>
    public int Watches { get; private set; }

    /// <summary>How many bookmarks the watches have brought.</summary>
    public int Bookmarks { get; private set; }

    public string ResourceVersion => Volatile.Read(ref _resourceVersion);

    public void AddHandler(Action<InformerEvent> handler) => _handlers.Add(handler);

    public async Task RunAsync(CancellationToken cancel)
    {
        var failures = 0;
        var mustList = true;
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                if (mustList)
                {
                    await ListAsync(cancel).ConfigureAwait(false);
                    mustList = false;
                }
                var outcome = await WatchAsync(cancel).ConfigureAwait(false);
                failures = 0;
                if (outcome == WatchOutcome.Relist)
                {
                    _log.LogInformation("Watch of {Resource} from resourceVersion {ResourceVersion} refused ({Error}); listing again",
                        Kind, ResourceVersion, Describe(_relistCause!));
                    mustList = true;
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException e) when (Kind.Optional && mustList && e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Not served here (no CRD): nothing to cache; look again later for a CRD installed since.
                if (!HasSynced)
                    _log.LogInformation("{Resource} is not served by this API server; watching for it every {Delay}", Kind, _options.RetryMax);
                _synced.TrySetResult();
                try
                {
                    await Task.Delay(_options.RetryMax, cancel).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception e) when (KubeErrors.MustRelist(e))
            {
                _log.LogInformation("Resource version {ResourceVersion} of {Resource} refused ({Error}); listing again", ResourceVersion, Kind, Describe(e));
                mustList = true;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                failures++;
                var delay = TimeSpan.FromTicks(Math.Min(_options.RetryMax.Ticks, _options.RetryMin.Ticks << Math.Min(failures - 1, 20)));
                _log.LogWarning("{Action} of {Resource} failed ({Error}); retrying in {Delay}", mustList ? "List" : "Watch",
                    Kind, Describe(e), delay);
                try
                {
                    await Task.Delay(delay, cancel).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ListAsync(CancellationToken cancel)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var fresh = new List<KubeObject>();
        string? continueToken = null;
        string resourceVersion;
        do
        {
            var page = (JsonElement)(Kind.Namespaced
                ? await _client.CustomObjects.ListCustomObjectForAllNamespacesAsync(Kind.Group, Kind.Version, Kind.Plural,
                    continueParameter: continueToken, limit: _options.PageSize, cancellationToken: cancel).ConfigureAwait(false)
                : await _client.CustomObjects.ListClusterCustomObjectAsync(Kind.Group, Kind.Version, Kind.Plural,
                    continueParameter: continueToken, limit: _options.PageSize, cancellationToken: cancel).ConfigureAwait(false));
            var meta = page.GetProperty("metadata");
            resourceVersion = meta.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "" : "";
            continueToken = meta.TryGetProperty("continue", out var c) && c.GetString() is { Length: > 0 } token ? token : null;
            if (page.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in items.EnumerateArray())
                {
                    var obj = KubeObject.FromJson(item);
                    seen.Add(obj.Key);
                    fresh.Add(obj);
                }
            }
        }
        while (continueToken is not null);

        foreach (var obj in fresh)
        {
            var old = Cache.Upsert(obj);
            if (old is null) Raise(WatchEventType.Added, null, obj);
            else if (old.ResourceVersion != obj.ResourceVersion) Raise(WatchEventType.Modified, old, obj);
        }
        foreach (var gone in Cache.All().Where(o => !seen.Contains(o.Key)).ToList())
        {
            Cache.Remove(gone.Namespace, gone.Name);
            Raise(WatchEventType.Deleted, gone, null);
        }
        Volatile.Write(ref _resourceVersion, resourceVersion);
        Lists++;
        _log.LogDebug("Listed {Count} {Resource} at resourceVersion {ResourceVersion}", fresh.Count, Kind, resourceVersion);
        _synced.TrySetResult();
    }

    private enum WatchOutcome { Ended, Relist }

    private Exception? _relistCause;

    private async Task<WatchOutcome> WatchAsync(CancellationToken cancel)
    {
        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        watchdog.CancelAfter(_options.IdleTimeout);
        var relist = false;
        Exception? streamError = null;
        void OnError(Exception e)
        {
            // 410 Gone and 504 "Too large resource version": resuming from this version cannot work, only a list can.
            if (KubeErrors.MustRelist(e)) (relist, _relistCause) = (true, e);
            else streamError = e;
        }

        Watches++;
        var timeout = (int)_options.WatchTimeout.TotalSeconds;
        var events = Kind.Namespaced
            ? _client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(Kind.Group, Kind.Version, Kind.Plural,
                allowWatchBookmarks: true, resourceVersion: ResourceVersion, timeoutSeconds: timeout, onError: OnError,
                cancellationToken: watchdog.Token)
            : _client.CustomObjects.WatchListClusterCustomObjectAsync(Kind.Group, Kind.Version, Kind.Plural,
                allowWatchBookmarks: true, resourceVersion: ResourceVersion, timeoutSeconds: timeout, onError: OnError,
                cancellationToken: watchdog.Token);
        try
        {
            await foreach (var (type, raw) in events.ConfigureAwait(false))
            {
                watchdog.CancelAfter(_options.IdleTimeout);
                if (raw is not JsonElement json) continue;
                Apply(type, json);
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            _log.LogWarning("Watch of {Resource} silent for {Idle}; reconnecting from resourceVersion {ResourceVersion}",
                Kind, _options.IdleTimeout, ResourceVersion);
            return WatchOutcome.Ended;
        }
        if (relist) return WatchOutcome.Relist;
        if (streamError is not null)
            _log.LogWarning("Watch of {Resource} reported an error ({Error}); resuming", Kind, Describe(streamError));
        return WatchOutcome.Ended;
    }

    private void Apply(WatchEventType type, JsonElement json)
    {
        if (type == WatchEventType.Bookmark)
        {
            // A bookmark carries only metadata.resourceVersion: where to resume from.
            if (json.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("resourceVersion", out var rv) &&
                rv.GetString() is { Length: > 0 } version)
            {
                Volatile.Write(ref _resourceVersion, version);
            }

            Bookmarks++;
            return;
        }
        var obj = KubeObject.FromJson(json);
        switch (type)
        {
            case WatchEventType.Added:
            case WatchEventType.Modified:
                if (Cache.Get(obj.Namespace, obj.Name) is { } newer && obj.IsOlderThan(newer)) break;
                var old = Cache.Upsert(obj);
                Raise(old is null ? WatchEventType.Added : WatchEventType.Modified, old, obj);
                break;
            case WatchEventType.Deleted:
                var removed = Cache.Remove(obj.Namespace, obj.Name);
                Raise(WatchEventType.Deleted, removed ?? obj, null);
                break;
            default:
                return;
        }
        if (obj.ResourceVersion.Length > 0) Volatile.Write(ref _resourceVersion, obj.ResourceVersion);
    }

    private void Raise(WatchEventType type, KubeObject? old, KubeObject? @new)
    {
        var change = new InformerEvent(Kind, type, old, @new);
        foreach (var handler in _handlers)
        {
            try
            {
                handler(change);
            }
            catch (Exception e)
            {
                _log.LogError(e, "Event handler for {Resource} failed", Kind);
            }
        }
    }

    internal static string Describe(Exception e) => e switch
    {
        HttpOperationException h => $"HTTP {(int)h.Response.StatusCode}: {Truncate(h.Response.Content)}",
        KubernetesException k => $"{k.Status?.Code} {k.Status?.Reason}: {k.Status?.Message}",
        _ => e.Message,
    };

    private static string Truncate(string? text) => text is null ? "" : text.Length <= 200 ? text : text[..200];
}
