using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Talm.Api.Meta;
using Talm.KubeApi.Json;
using Talm.KubeApi.Resources;
using Talm.KubeApi.Semantics;
using Talm.KubeApi.Storage;

namespace Talm.KubeApi;

/// <summary>
/// Kubernetes object semantics over the store, independent of HTTP: identity and metadata on create,
/// optimistic concurrency, the status subresource split, generation, defaults, finalizers and cascades.
/// </summary>
public sealed partial class ObjectService
{
    private readonly ObjectStore _store;
    private readonly ResourceRegistry _registry;
    private readonly TimeProvider _time;

    public ObjectService(ObjectStore store, ResourceRegistry registry, TimeProvider time)
    {
        _store = store;
        _registry = registry;
        _time = time;
    }

    public ObjectStore Store => _store;
    public ResourceRegistry Registry => _registry;

    private string Now() => _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Re-registers the resources of every stored CRD (after a restart from a data directory).</summary>
    public void RegisterStoredCrds()
    {
        foreach (var crd in _store.List(BuiltinResources.CustomResourceDefinition.Key, null).Items)
        {
            if (crd.Node["metadata"]?["deletionTimestamp"] is null) _registry.AddOrReplace(CrdParser.Parse(crd.Node));
        }
    }

    /// <summary>The namespaces every cluster starts with.</summary>
    public void EnsureSystemNamespaces()
    {
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            if (_store.Get(BuiltinResources.Namespace.Key, string.Empty, ns) is null)
            {
                Create(BuiltinResources.Namespace, "v1", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
            }
        }
    }

    public StoredObject Get(ResourceType type, string? ns, string name) =>
        _store.Get(type.StoreKey, ns ?? string.Empty, name) ?? throw ApiException.NotFound(type.Group, type.Plural, name);

    public WriteResult Create(ResourceType type, string version, string? ns, JsonObject body, bool dryRun = false, string? fieldValidation = null)
    {
        CheckKind(type, version, body);
        BuiltinValidation.Decode(type, body);
        var meta = JsonUtil.Metadata(body);
        var name = JsonUtil.Str(meta, "name");
        if (string.IsNullOrEmpty(name))
        {
            var prefix = JsonUtil.Str(meta, "generateName");
            if (string.IsNullOrEmpty(prefix)) throw Invalid(type, string.Empty, "metadata.name: Required value: name or generateName is required");
            name = prefix + RandomSuffix();
            meta["name"] = name;
        }
        if (NameValidation.Problems(name, label: type == BuiltinResources.Namespace) is { Count: > 0 } problems)
            throw ApiException.Invalid(type.Group, type.Kind, name, [.. problems.Select(p => $"metadata.name: Invalid value: \"{name}\": {p}")]);
        ns = ResolveNamespace(type, ns, meta);
        if (ns is not null) CheckNamespaceOpen(ns);
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now();
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("selfLink");
        if (type.TracksGeneration) meta["generation"] = 1;
        else meta.Remove("generation");
        if (type.HasStatus && type.IsCustom) body.Remove("status");
        PrepareBuiltin(type, body, null);
        Defaulter.Apply(body, type.Version(version)?.Schema);
        CheckUnknownFields(type, version, body, null, fieldValidation);
        Validate(type, version, name, body);
        body = JsonUtil.Canonical(type.ToStorage?.Invoke(body) ?? body);
        ResourceType? servedByCrd = type == BuiltinResources.CustomResourceDefinition ? CrdParser.Parse(body) : null;
        var result = _store.Write(type.StoreKey, ns ?? string.Empty, name, current =>
            current is null ? Mutation.Put(body) : throw ApiException.AlreadyExists(type.Group, type.Plural, name), dryRun);
        if (servedByCrd is not null && !dryRun) _registry.AddOrReplace(servedByCrd);
        return result;
    }

    public WriteResult Update(ResourceType type, string version, string? ns, string name, JsonObject body, bool statusOnly, bool dryRun = false, string? fieldValidation = null)
    {
        CheckKind(type, version, body);
        var meta = JsonUtil.Metadata(body);
        var bodyName = JsonUtil.Str(meta, "name");
        if (bodyName is not null && bodyName != name)
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        meta["name"] = name;
        ResolveNamespace(type, ns, meta);
        return Write(type, version, ns, name, _ => body, statusOnly, dryRun, fieldValidation);
    }

    /// <summary>Applies <paramref name="patch"/> to the current object under the store lock, then the update rules.</summary>
    public WriteResult Patch(ResourceType type, string version, string? ns, string name, Func<JsonObject, JsonObject> patch, bool statusOnly, bool dryRun = false, string? fieldValidation = null) =>
        Write(type, version, ns, name, current =>
        {
            var patched = patch(current);
            var meta = JsonUtil.Metadata(patched);
            if (JsonUtil.Str(meta, "name") is { } n && n != name)
                throw ApiException.BadRequest($"the name of the object ({n}) does not match the name on the URL ({name})");
            meta["name"] = name;
            CheckKind(type, version, patched);
            return patched;
        }, statusOnly, dryRun, fieldValidation);

    private WriteResult Write(ResourceType type, string version, string? ns, string name, Func<JsonObject, JsonObject> incomingFrom, bool statusOnly, bool dryRun, string? fieldValidation)
    {
        ResourceType? servedByCrd = null;
        var result = _store.Write(type.StoreKey, ns ?? string.Empty, name, current =>
        {
            if (current is null) throw ApiException.NotFound(type.Group, type.Plural, name);
            var currentNode = AsVersion(current.Node, type, version);
            var incoming = incomingFrom(currentNode);
            CheckUnknownFields(type, version, incoming, currentNode, fieldValidation);
            if (type.StoredAs is { } storage)
                return DecideUpdate(storage, version, current, type.ToStorage!(incoming), statusOnly);
            var next = DecideUpdate(type, version, current, incoming, statusOnly);
            if (type == BuiltinResources.CustomResourceDefinition && next.Kind == MutationKind.Put)
                servedByCrd = CrdParser.Parse(next.Node!);
            return next;
        }, dryRun);
        if (dryRun) return result;
        if (servedByCrd is not null) _registry.AddOrReplace(servedByCrd);
        AfterWrite(type, result);
        return result;
    }

    private Mutation DecideUpdate(ResourceType type, string version, StoredObject current, JsonObject incoming, bool statusOnly)
    {
        BuiltinValidation.Decode(type, incoming);
        var currentRv = current.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        var requestedRv = JsonUtil.MetaStr(incoming, "resourceVersion");
        if (!string.IsNullOrEmpty(requestedRv) && requestedRv != currentRv)
            throw ApiException.Conflict(type.Group, type.Plural, current.Name);
        var old = current.Node;
        JsonObject next;
        if (statusOnly)
        {
            next = JsonUtil.Clone(old);
            if (incoming["status"] is { } status) next["status"] = status.DeepClone();
            else next.Remove("status");
        }
        else
        {
            next = JsonUtil.Clone(incoming);
            if (type.HasStatus)
            {
                if (old["status"] is { } status) next["status"] = status.DeepClone();
                else next.Remove("status");
            }
            var meta = JsonUtil.Metadata(next);
            var oldMeta = (JsonObject)old["metadata"]!;
            foreach (var keep in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
            {
                if (oldMeta[keep] is { } v) meta[keep] = v.DeepClone();
                else meta.Remove(keep);
            }
            if (JsonUtil.Str(oldMeta, "namespace") is { } oldNs) meta["namespace"] = oldNs;
        }
        next["apiVersion"] = old["apiVersion"]?.DeepClone();
        next["kind"] = type.Kind;
        var nextMeta = JsonUtil.Metadata(next);
        nextMeta["resourceVersion"] = currentRv;
        PrepareBuiltin(type, next, old);
        Defaulter.Apply(next, type.Version(version)?.Schema);
        Validate(type, version, current.Name, next);
        if (type.TracksGeneration && !statusOnly && SpecChanged(old, next))
        {
            nextMeta["generation"] = (JsonUtil.Long(old["metadata"]?["generation"]) ?? 0) + 1;
        }
        next = JsonUtil.Canonical(next);
        if (next["metadata"]!["deletionTimestamp"] is not null && Finalizers(next) == 0) return Mutation.Delete(next);
        return JsonUtil.DeepEquals(next, old) ? Mutation.Keep : Mutation.Put(next);
    }

    /// <summary>kubectl asks for <c>fieldValidation=Strict</c>: a field the schema does not declare is a 400, as on a real server.</summary>
    /// Only fields this request introduces count (an update is compared with the current object).
    private static void CheckUnknownFields(ResourceType type, string version, JsonObject obj, JsonObject? current, string? fieldValidation)
    {
        if (!type.IsCustom || fieldValidation != "Strict") return;
        var schema = type.Version(version)?.Schema;
        var unknown = SchemaValidator.UnknownFields(obj, schema).Except(SchemaValidator.UnknownFields(current, schema)).ToList();
        if (unknown.Count == 0) return;
        throw ApiException.BadRequest(
            $"{type.Kind} in version \"{version}\" cannot be handled as a {type.Kind}: strict decoding error: " +
            string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
    }

    private static void Validate(ResourceType type, string version, string name, JsonObject obj)
    {
        if (!type.IsCustom)
        {
            if (BuiltinValidation.Problems(type, obj) is { Count: > 0 } problems) throw ApiException.Invalid(type.Group, type.Kind, name, problems);
            return;
        }
        var errors = SchemaValidator.Validate(obj, type.Version(version)?.Schema);
        if (errors.Count == 0) return;
        throw ApiException.Invalid(type.Group, type.Kind, name, errors);
    }

    private static bool SpecChanged(JsonObject old, JsonObject next)
    {
        static IEnumerable<string> Keys(JsonObject o) => o.Select(kv => kv.Key).Where(k => k is not "metadata" and not "status" and not "apiVersion" and not "kind");
        var keys = Keys(old).Union(Keys(next));
        return keys.Any(k => !JsonUtil.DeepEquals(old[k], next[k]));
    }

    private static int Finalizers(JsonObject obj) => (obj["metadata"]?["finalizers"] as JsonArray)?.Count ?? 0;

    /// <summary>A terminating namespace goes away once its last object has.</summary>
    private void AfterWrite(ResourceType type, WriteResult result)
    {
        if (!type.Namespaced || result.EventType != StoreEventType.Deleted) return;
        var ns = result.Object!.Namespace;
        var nsObj = _store.Get(BuiltinResources.Namespace.Key, string.Empty, ns);
        if (nsObj?.Node["metadata"]?["deletionTimestamp"] is null || HasChildren(ns) || Finalizers(nsObj.Node) > 0) return;
        _store.Write(BuiltinResources.Namespace.Key, string.Empty, ns, cur => cur is null ? Mutation.Keep : Mutation.Delete(JsonUtil.Clone(cur.Node)));
    }

    private void PrepareBuiltin(ResourceType type, JsonObject obj, JsonObject? old)
    {
        if (type == BuiltinResources.Namespace)
        {
            // The phase is the server's to set: Active until deletion marks it Terminating.
            obj["status"] = old?["status"]?.DeepClone() ?? new JsonObject { ["phase"] = "Active" };
        }
        else if (type.Group.Length == 0 && type.Kind == "Secret")
        {
            if (string.IsNullOrEmpty(JsonUtil.Str(obj, "type"))) obj["type"] = "Opaque";
            if (obj["stringData"] is not JsonObject stringData) return;
            var data = obj["data"] as JsonObject ?? new JsonObject();
            foreach (var (k, v) in stringData)
            {
                data[k] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(JsonUtil.Scalar(v) ?? string.Empty));
            }
            obj["data"] = data;
            obj.Remove("stringData");
        }
        else if (type == BuiltinResources.CustomResourceDefinition)
        {
            var spec = obj["spec"] as JsonObject;
            var storage = (spec?["versions"] as JsonArray)?.OfType<JsonObject>()
                .FirstOrDefault(v => v["storage"]?.GetValue<bool>() == true);
            var now = Now();
            JsonObject Condition(string t, string reason, string message) => new()
            {
                ["type"] = t, ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message,
            };
            obj["status"] = new JsonObject
            {
                ["acceptedNames"] = spec?["names"]?.DeepClone(),
                ["conditions"] = new JsonArray(
                    Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                    Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
                ["storedVersions"] = new JsonArray(JsonUtil.Str(storage, "name")),
            };
            if (old?["status"] is JsonObject oldStatus && JsonUtil.DeepEquals(oldStatus["acceptedNames"], obj["status"]!["acceptedNames"]))
                obj["status"] = oldStatus.DeepClone();
        }
    }

    private static void CheckKind(ResourceType type, string version, JsonObject body)
    {
        if (JsonUtil.Str(body, "kind") is { } kind && kind != type.Kind)
            throw ApiException.BadRequest($"the kind of the object ({kind}) does not match the resource ({type.Kind}) of the URL");
        var apiVersion = type.ApiVersion(version);
        if (JsonUtil.Str(body, "apiVersion") is { } av && av != apiVersion && type.Version(av.Split('/')[^1]) is null)
            throw ApiException.BadRequest($"the apiVersion of the object ({av}) does not match the URL ({apiVersion})");
        body["apiVersion"] = apiVersion;
        body["kind"] = type.Kind;
    }

    private string? ResolveNamespace(ResourceType type, string? ns, JsonObject meta)
    {
        if (!type.Namespaced)
        {
            meta.Remove("namespace");
            return null;
        }
        var bodyNs = JsonUtil.Str(meta, "namespace");
        if (ns is null) throw ApiException.BadRequest($"{type.Plural} is namespaced: the request must name a namespace");
        if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        meta["namespace"] = ns;
        return ns;
    }

    private void CheckNamespaceOpen(string ns)
    {
        var nsObj = _store.Get(BuiltinResources.Namespace.Key, string.Empty, ns) ?? throw ApiException.NotFound(string.Empty, "namespaces", ns);
        if (nsObj.Node["metadata"]?["deletionTimestamp"] is not null)
            throw new ApiException(403, "Forbidden", $"unable to create new content in namespace {ns} because it is being terminated", ns, string.Empty, "namespaces");
    }

    /// <summary>The stored object as the requested version (versions of one resource share a schema here; a second API converts).</summary>
    public static JsonObject AsVersion(JsonObject node, ResourceType type, string version)
    {
        var copy = JsonUtil.Clone(node);
        if (type.FromStorage is { } convert)
            copy = convert(copy);
        copy["apiVersion"] = type.ApiVersion(version);
        return copy;
    }

    private static ApiException Invalid(ResourceType type, string name, string detail) => ApiException.Invalid(type.Group, type.Kind, name, detail);

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }
}
