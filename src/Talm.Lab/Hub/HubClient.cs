using System.Net;
using System.Threading.Channels;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Api.Meta;
using Talm.Operator.Kube;

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

    public Task<JsonNode?> GetAsync(KindInfo kind, string ns, string name, CancellationToken ct) =>
        OrNullIfMissing(kind.Namespaced
            ? Kubernetes.CustomObjects.GetNamespacedCustomObjectAsync<JsonNode>(kind.Group, kind.Version, ns, kind.Plural, name, ct)
            : Kubernetes.CustomObjects.GetClusterCustomObjectAsync<JsonNode>(kind.Group, kind.Version, kind.Plural, name, ct));

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
    public Task<bool> DeleteAsync(KindInfo kind, string ns, string name, CancellationToken ct) =>
        FalseIfMissing(kind.Namespaced
            ? Kubernetes.CustomObjects.DeleteNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: ct)
            : Kubernetes.CustomObjects.DeleteClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, name, cancellationToken: ct));

    /// <summary>Merge-patches the object itself (spec, metadata); false when the object is gone.</summary>
    public Task<bool> PatchAsync(KindInfo kind, string ns, string name, JsonObject patch, CancellationToken ct)
    {
        var body = new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
        return FalseIfMissing(kind.Namespaced
            ? Kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(body, kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: ct)
            : Kubernetes.CustomObjects.PatchClusterCustomObjectAsync(body, kind.Group, kind.Version, kind.Plural, name, cancellationToken: ct));
    }

    /// <summary>Merge-patches the status subresource with <c>{"status": patch}</c>; false when the object is gone.</summary>
    public Task<bool> PatchStatusAsync(KindInfo kind, string ns, string name, JsonObject statusPatch, CancellationToken ct) =>
        PatchStatusAsync(kind, ns, name, new V1Patch(new JsonObject { ["status"] = statusPatch }.ToJsonString(), V1Patch.PatchType.MergePatch), ct);

    /// <summary>Replaces the whole status (a JSON patch), as RHACM writes a view's: nothing of an earlier status is kept.</summary>
    public Task<bool> ReplaceStatusAsync(KindInfo kind, string ns, string name, JsonObject status, CancellationToken ct)
    {
        var ops = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/status", ["value"] = status.DeepClone() });
        return PatchStatusAsync(kind, ns, name, new V1Patch(ops.ToJsonString(), V1Patch.PatchType.JsonPatch), ct);
    }

    private Task<bool> PatchStatusAsync(KindInfo kind, string ns, string name, V1Patch body, CancellationToken ct) =>
        FalseIfMissing(kind.Namespaced
            ? Kubernetes.CustomObjects.PatchNamespacedCustomObjectStatusAsync(body, kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: ct)
            : Kubernetes.CustomObjects.PatchClusterCustomObjectStatusAsync(body, kind.Group, kind.Version, kind.Plural, name, cancellationToken: ct));

    private static async Task<bool> FalseIfMissing(Task call)
    {
        try
        {
            await call;
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static async Task<JsonNode?> OrNullIfMissing(Task<JsonNode> call)
    {
        try
        {
            return await call;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Every change of a kind, forever, as the operator sees them: the operator's own <see cref="Informer"/>
    /// (list, then watch from the list's resourceVersion with bookmarks, relisting on 410 and after a silent
    /// watch), its events handed over as untyped objects. Every object is first reported as Added, then every
    /// change; after a relist, objects deleted meanwhile are reported as Deleted.
    /// </summary>
    public async IAsyncEnumerable<(WatchEventType Type, JsonNode Object)> WatchAsync(
        KindInfo kind, [EnumeratorCancellation] CancellationToken ct, ILogger? log = null)
    {
        var events = Channel.CreateUnbounded<(WatchEventType, JsonNode)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var informer = new Informer(Kubernetes, new WatchedKind(kind), log ?? NullLogger.Instance);
        informer.AddHandler(change =>
        {
            if (JsonNode.Parse(change.Object.Json.GetRawText()) is { } obj)
            {
                events.Writer.TryWrite((change.Type, obj));
            }
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = Task.Run(async () =>
        {
            try
            {
                await informer.RunAsync(stop.Token);
            }
            finally
            {
                events.Writer.TryComplete();
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var change in events.Reader.ReadAllAsync(ct))
            {
                yield return change;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }
}
