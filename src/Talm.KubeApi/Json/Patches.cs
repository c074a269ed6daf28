using System.Globalization;
using System.Text.Json.Nodes;

namespace Talm.KubeApi.Json;

/// <summary>The three patch formats kubectl and client libraries send: JSON merge, JSON patch, strategic merge.</summary>
public static class Patches
{
    /// <summary>RFC 7386: objects merge recursively, null deletes, anything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                var merged = MergePatch(result[key], value);
                result[key] = merged;
            }
        }
        return result;
    }

    /// <summary>RFC 6902 operations against a copy of the target.</summary>
    public static JsonObject JsonPatch(JsonObject target, JsonNode patch)
    {
        if (patch is not JsonArray ops) throw ApiException.BadRequest("a JSON patch must be an array of operations");
        JsonNode root = target.DeepClone();
        foreach (var opNode in ops)
        {
            if (opNode is not JsonObject op) throw ApiException.BadRequest("each JSON patch operation must be an object");
            var kind = JsonUtil.Str(op, "op") ?? throw ApiException.BadRequest("JSON patch operation without \"op\"");
            var path = JsonUtil.Str(op, "path") ?? throw ApiException.BadRequest("JSON patch operation without \"path\"");
            switch (kind)
            {
                case "add":
                    root = Add(root, path, op["value"]?.DeepClone());
                    break;
                case "remove":
                    root = Remove(root, path, out _);
                    break;
                case "replace":
                    root = Remove(root, path, out _);
                    root = Add(root, path, op["value"]?.DeepClone());
                    break;
                case "move":
                {
                    var from = JsonUtil.Str(op, "from") ?? throw ApiException.BadRequest("JSON patch move without \"from\"");
                    root = Remove(root, from, out var moved);
                    root = Add(root, path, moved);
                    break;
                }
                case "copy":
                {
                    var from = JsonUtil.Str(op, "from") ?? throw ApiException.BadRequest("JSON patch copy without \"from\"");
                    root = Add(root, path, Get(root, from)?.DeepClone());
                    break;
                }
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), op["value"]))
                        throw new ApiException(422, "Invalid", $"JSON patch test failed at {path}");
                    break;
                default:
                    throw ApiException.BadRequest($"unknown JSON patch operation \"{kind}\"");
            }
        }
        return root as JsonObject ?? throw ApiException.BadRequest("a JSON patch must leave an object");
    }

    private static string[] Pointer(string path)
    {
        if (path.Length == 0) return [];
        if (path[0] != '/') throw ApiException.BadRequest($"JSON pointer \"{path}\" must start with '/'");
        return path[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode? Get(JsonNode root, string path)
    {
        JsonNode? cur = root;
        foreach (var token in Pointer(path))
        {
            cur = cur switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var v) => v,
                JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => throw new ApiException(422, "Invalid", $"JSON patch path {path} does not exist"),
            };
        }
        return cur;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode root, string path)
    {
        var tokens = Pointer(path);
        if (tokens.Length == 0) throw ApiException.BadRequest("JSON patch cannot target the whole document");
        var parentPath = string.Concat(tokens[..^1].Select(t => "/" + t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
        var parent = Get(root, parentPath) ?? throw new ApiException(422, "Invalid", $"JSON patch path {path} has no parent");
        return (parent, tokens[^1]);
    }

    private static JsonNode Add(JsonNode root, string path, JsonNode? value)
    {
        var (parent, last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw new ApiException(422, "Invalid", $"JSON patch cannot add at {path}");
        }
        return root;
    }

    private static JsonNode Remove(JsonNode root, string path, out JsonNode? removed)
    {
        var (parent, last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var v):
                removed = v;
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default:
                throw new ApiException(422, "Invalid", $"JSON patch path {path} does not exist");
        }
        return root;
    }

    /// <summary>
    /// Strategic merge patch for the built-in kinds served here: a merge patch that understands the
    /// <c>$patch</c>, <c>$retainKeys</c>, <c>$setElementOrder</c> and <c>$deleteFromPrimitiveList</c>
    /// directives and merges the few lists whose Go types declare a merge strategy.
    /// </summary>
    public static JsonObject StrategicMergePatch(JsonObject target, JsonObject patch) =>
        (JsonObject)(Strategic(target.DeepClone(), patch, string.Empty) ?? new JsonObject());

    // Lists that the built-in kinds here merge rather than replace: path -> merge key (empty = primitive set).
    private static readonly Dictionary<string, string> MergeLists = new(StringComparer.Ordinal)
    {
        ["metadata.finalizers"] = string.Empty,
        ["metadata.ownerReferences"] = "uid",
        ["secrets"] = "name",
        ["imagePullSecrets"] = "name",
    };

    private static JsonNode? Strategic(JsonNode? target, JsonNode? patch, string path)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        if (JsonUtil.Str(p, "$patch") is { } directive)
        {
            if (directive == "delete") return null;
            if (directive == "replace")
            {
                var copy = (JsonObject)p.DeepClone();
                copy.Remove("$patch");
                return copy;
            }
        }
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in p)
        {
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal) || key is "$retainKeys" or "$patch") continue;
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var listKey = key["$deleteFromPrimitiveList/".Length..];
                if (result[listKey] is JsonArray list && value is JsonArray gone)
                {
                    foreach (var item in list.Where(i => gone.Any(g => JsonNode.DeepEquals(g, i))).ToList()) list.Remove(item);
                }
                continue;
            }
            var childPath = path.Length == 0 ? key : path + "." + key;
            if (value is null)
            {
                result.Remove(key);
            }
            else if (value is JsonArray arr && MergeLists.TryGetValue(childPath, out var mergeKey))
            {
                result[key] = MergeList(result[key] as JsonArray, arr, mergeKey);
            }
            else
            {
                result[key] = Strategic(result[key]?.DeepClone(), value, childPath);
            }
        }
        return result;
    }

    private static JsonArray MergeList(JsonArray? current, JsonArray patch, string mergeKey)
    {
        var result = current is null ? new JsonArray() : (JsonArray)current.DeepClone();
        foreach (var item in patch)
        {
            if (mergeKey.Length == 0)
            {
                if (!result.Any(r => JsonNode.DeepEquals(r, item))) result.Add(item?.DeepClone());
                continue;
            }
            var key = JsonUtil.Str(item, mergeKey);
            var existing = result.FirstOrDefault(r => JsonUtil.Str(r, mergeKey) == key);
            if (JsonUtil.Str(item, "$patch") == "delete")
            {
                if (existing is not null) result.Remove(existing);
            }
            else if (existing is not null)
            {
                var index = result.IndexOf(existing);
                result[index] = MergePatch(existing, item);
            }
            else
            {
                result.Add(item?.DeepClone());
            }
        }
        return result;
    }
}
