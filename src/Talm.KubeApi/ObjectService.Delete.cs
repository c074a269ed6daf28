using System.Globalization;
using System.Text.Json.Nodes;
using Talm.Api.Meta;
using Talm.KubeApi.Json;
using Talm.KubeApi.Resources;
using Talm.KubeApi.Semantics;
using Talm.KubeApi.Storage;

namespace Talm.KubeApi;

/// <summary>Deletes: finalizers and deletionTimestamp, collections, and the cascades of a namespace or a CRD.</summary>
public sealed partial class ObjectService
{
    /// <summary>Deletes, or with finalizers marks for deletion; returns the object as it now stands.</summary>
    public WriteResult Delete(ResourceType type, string? ns, string name, JsonObject? options, bool dryRun = false)
    {
        var preconditions = options?["preconditions"] as JsonObject;
        var result = _store.Write(type.StoreKey, ns ?? string.Empty, name, current =>
        {
            if (current is null) throw ApiException.NotFound(type.Group, type.Plural, name);
            if (JsonUtil.Str(preconditions, "resourceVersion") is { } rv && rv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                throw ApiException.Conflict(type.Group, type.Plural, name);
            if (JsonUtil.Str(preconditions, "uid") is { } uid && uid != JsonUtil.MetaStr(current.Node, "uid"))
                throw ApiException.Conflict(type.Group, type.Plural, name);
            var next = JsonUtil.Clone(current.Node);
            var isNamespace = type == BuiltinResources.Namespace;
            if (Finalizers(next) > 0 || (isNamespace && HasChildren(name)))
            {
                if (next["metadata"]!["deletionTimestamp"] is not null) return Mutation.Keep;
                var meta = JsonUtil.Metadata(next);
                meta["deletionTimestamp"] = Now();
                meta["deletionGracePeriodSeconds"] = 0;
                if (type.TracksGeneration && JsonUtil.Long(meta["generation"]) is { } gen) meta["generation"] = gen + 1;
                if (isNamespace) next["status"] = new JsonObject { ["phase"] = "Terminating" };
                return Mutation.Put(next);
            }
            return Mutation.Delete(next);
        }, dryRun);
        if (dryRun) return result;
        if (type == BuiltinResources.Namespace && result.Object?.Node["metadata"]?["deletionTimestamp"] is not null)
            DeleteNamespaceContents(name);
        if (type == BuiltinResources.CustomResourceDefinition && result.EventType == StoreEventType.Deleted)
            RemoveCrdInstances(result.Object!.Node);
        AfterWrite(type, result);
        return result;
    }

    public List<StoredObject> DeleteCollection(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields)
    {
        var deleted = new List<StoredObject>();
        foreach (var o in _store.List(type.StoreKey, ns).Items.Where(o => labels.Matches(JsonUtil.Labels(o.Node)) && fields.Matches(o.Node)))
        {
            try
            {
                if (Delete(type, ns ?? (type.Namespaced ? o.Namespace : null), o.Name, null).Object is { } d) deleted.Add(d);
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // Deleted concurrently: the collection delete still succeeds.
            }
        }
        return deleted;
    }

    private bool HasChildren(string ns) =>
        _registry.All.Where(t => t.Namespaced).Any(t => _store.List(t.StoreKey, ns).Items.Count > 0);

    private void DeleteNamespaceContents(string ns)
    {
        foreach (var type in _registry.All.Where(t => t.Namespaced))
        {
            DeleteCollection(type, ns, LabelSelector.Everything, FieldSelector.Everything);
        }
    }

    private void RemoveCrdInstances(JsonObject crd)
    {
        var group = JsonUtil.Str(crd["spec"], "group");
        var plural = JsonUtil.Str(crd["spec"]?["names"], "plural");
        var key = group + "/" + plural;
        foreach (var o in _store.List(key, null).Items)
        {
            _store.Write(key, o.Namespace, o.Name, cur => cur is null ? Mutation.Keep : Mutation.Delete(JsonUtil.Clone(cur.Node)));
        }
        _registry.Remove(key);
    }
}
