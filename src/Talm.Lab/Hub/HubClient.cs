using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Talm.Api.Meta;

namespace Talm.Lab.Hub;

/// <summary>
/// The lab's own way into the hub: untyped objects through the official client, so the simulated
/// RHACM works with whatever the CRDs hold and costs no more requests than it must.
/// </summary>
public sealed class HubClient(IKubernetes client)
{
    public IKubernetes Kubernetes { get; } = client;

    public static HubClient FromKubeconfig(string path, RequestCounter? counter = null)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        var k = counter is null ? new k8s.Kubernetes(config) : new k8s.Kubernetes(config, counter);
        return new HubClient(k);
    }

    public async Task<JsonNode?> GetAsync(KindInfo kind, string ns, string name, CancellationToken ct)
    {
        try
        {
            var obj = kind.Namespaced
                ? await Kubernetes.CustomObjects.GetNamespacedCustomObjectAsync<JsonNode>(kind.Group, kind.Version, ns, kind.Plural, name, ct)
                : await Kubernetes.CustomObjects.GetClusterCustomObjectAsync<JsonNode>(kind.Group, kind.Version, kind.Plural, name, ct);
            return obj;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<(IReadOnlyList<JsonNode> Items, string ResourceVersion)> ListAsync(KindInfo kind, CancellationToken ct)
    {
        var list = kind.Namespaced
            ? await Kubernetes.CustomObjects.ListCustomObjectForAllNamespacesAsync<JsonNode>(kind.Group, kind.Version, kind.Plural, cancellationToken: ct)
            : await Kubernetes.CustomObjects.ListClusterCustomObjectAsync<JsonNode>(kind.Group, kind.Version, kind.Plural, cancellationToken: ct);
        var items = Json.Items(list?["items"]).ToList();
        return (items, Json.Str(list, "metadata", "resourceVersion") ?? "");
    }

    /// <summary>Creates the object; returns false when it already existed.</summary>
    public async Task<bool> CreateAsync(KindInfo kind, JsonObject obj, CancellationToken ct)
    {
        obj["apiVersion"] = kind.ApiVersion;
        obj["kind"] = kind.Kind;
        try
        {
            if (kind == Kinds.Namespace)
            {
                var ns = new V1Namespace { Metadata = new V1ObjectMeta { Name = Json.Name(obj), Labels = Json.Labels(obj).ToDictionary() } };
                await Kubernetes.CoreV1.CreateNamespaceAsync(ns, cancellationToken: ct);
            }
            else if (kind.Namespaced)
            {
                await Kubernetes.CustomObjects.CreateNamespacedCustomObjectAsync(obj, kind.Group, kind.Version, Json.Namespace(obj), kind.Plural, cancellationToken: ct);
            }
            else
            {
                await Kubernetes.CustomObjects.CreateClusterCustomObjectAsync(obj, kind.Group, kind.Version, kind.Plural, cancellationToken: ct);
            }
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>Deletes the object; returns false when it was not there.</summary>
    public async Task<bool> DeleteAsync(KindInfo kind, string ns, string name, CancellationToken ct)
    {
        try
        {
            if (kind.Namespaced)
                await Kubernetes.CustomObjects.DeleteNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: ct);
            else
                await Kubernetes.CustomObjects.DeleteClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, name, cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Merge-patches the object itself (spec, metadata).</summary>
    public async Task<bool> PatchAsync(KindInfo kind, string ns, string name, JsonObject patch, CancellationToken ct)
    {
        var body = new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
        try
        {
            if (kind.Namespaced)
                await Kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(body, kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: ct);
            else
                await Kubernetes.CustomObjects.PatchClusterCustomObjectAsync(body, kind.Group, kind.Version, kind.Plural, name, cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Merge-patches the status subresource with <c>{"status": patch}</c>; false when the object is gone.</summary>
    public async Task<bool> PatchStatusAsync(KindInfo kind, string ns, string name, JsonObject statusPatch, CancellationToken ct)
    {
        var body = new V1Patch(new JsonObject { ["status"] = statusPatch }.ToJsonString(), V1Patch.PatchType.MergePatch);
        try
        {
            if (kind.Namespaced)
                await Kubernetes.CustomObjects.PatchNamespacedCustomObjectStatusAsync(body, kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: ct);
            else
                await Kubernetes.CustomObjects.PatchClusterCustomObjectStatusAsync(body, kind.Group, kind.Version, kind.Plural, name, cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Replaces the whole status (a JSON patch), as RHACM writes a view's: nothing of an earlier status is kept.</summary>
    public async Task<bool> ReplaceStatusAsync(KindInfo kind, string ns, string name, JsonObject status, CancellationToken ct)
    {
        var ops = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/status", ["value"] = status.DeepClone() });
        var body = new V1Patch(ops.ToJsonString(), V1Patch.PatchType.JsonPatch);
        try
        {
            if (kind.Namespaced)
                await Kubernetes.CustomObjects.PatchNamespacedCustomObjectStatusAsync(body, kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: ct);
            else
                await Kubernetes.CustomObjects.PatchClusterCustomObjectStatusAsync(body, kind.Group, kind.Version, kind.Plural, name, cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// List, then watch from the list's resourceVersion, forever: every object is first reported as
    /// Added, then every change. A dropped or expired watch relists (objects already seen are
    /// reported again as Modified; deletions missed meanwhile are reported as Deleted).
    /// </summary>
    public async IAsyncEnumerable<(WatchEventType Type, JsonNode Object)> WatchAsync(
        KindInfo kind, [EnumeratorCancellation] CancellationToken ct)
    {
        var known = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            IReadOnlyList<JsonNode> items;
            string rv;
            try
            {
                (items, rv) = await ListAsync(kind, ct);
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException && !ct.IsCancellationRequested)
            {
                await Task.Delay(200, ct);
                continue;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                var key = Key(item);
                seen.Add(key);
                var type = known.ContainsKey(key) ? WatchEventType.Modified : WatchEventType.Added;
                known[key] = item;
                yield return (type, item);
            }
            foreach (var gone in known.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                var obj = known[gone];
                known.Remove(gone);
                yield return (WatchEventType.Deleted, obj);
            }

            var stream = kind.Namespaced
                ? Kubernetes.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(
                    kind.Group, kind.Version, kind.Plural, allowWatchBookmarks: true, resourceVersion: rv, cancellationToken: ct)
                : Kubernetes.CustomObjects.WatchListClusterCustomObjectAsync(
                    kind.Group, kind.Version, kind.Plural, allowWatchBookmarks: true, resourceVersion: rv, cancellationToken: ct);
            var events = stream.GetAsyncEnumerator(ct);
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await events.MoveNextAsync();
                    }
                    catch (Exception e) when (e is HttpRequestException or HttpOperationException or IOException && !ct.IsCancellationRequested)
                    {
                        break;
                    }
                    if (!more) break;
                    var (type, raw) = events.Current;
                    var obj = raw is System.Text.Json.JsonElement el ? JsonNode.Parse(el.GetRawText()) : raw as JsonNode;
                    if (type is WatchEventType.Bookmark or WatchEventType.Error || obj is null)
                    {
                        if (type == WatchEventType.Error) break;
                        continue;
                    }
                    var key = Key(obj);
                    if (type == WatchEventType.Deleted) known.Remove(key);
                    else known[key] = obj;
                    yield return (type, obj);
                }
            }
            finally
            {
                await events.DisposeAsync();
            }
        }
    }

    private static string Key(JsonNode obj) => Json.Namespace(obj) + "/" + Json.Name(obj);
}
