using System.Text.Json.Nodes;
using Talm.Conformance.Kube;
using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Run;

/// <summary>An object a step created (kuttl deletes those when the test ends).</summary>
public sealed record CreatedObject(ResourceInfo Resource, string? Namespace, string Name);

/// <summary>
/// What kuttl does with the objects of a step, against the hub: apply (create, or merge-patch what exists),
/// assert (exists and matches), errors (nothing matches). An object without a namespace gets the test's
/// namespace when its kind is namespaced (as discovery says) and keeps none otherwise; an object without a
/// name is compared with every object of its kind in that namespace that carries its labels.
/// </summary>
public sealed class ObjectChecks(KubeClient kube, string testNamespace)
{
    /// <summary>Creates or merge-patches; returns what it created (not what it patched).</summary>
    public async Task<CreatedObject?> ApplyAsync(JsonObject source, CancellationToken ct)
    {
        var obj = (JsonObject)source.DeepClone();
        var (resource, ns, name) = await PlaceAsync(obj, ct);
        if (name.Length == 0) throw new InvalidDataException($"{Describe(obj, ns, name)}: an applied object needs a name");
        var existing = await kube.GetAsync(resource, ns, name, ct);
        if (existing is null)
        {
            await kube.CreateAsync(resource, ns, obj, ct);
            return new CreatedObject(resource, ns, name);
        }
        Meta(obj)["resourceVersion"] = (string?)existing["metadata"]?["resourceVersion"];
        await kube.MergePatchAsync(resource, ns, name, obj, ct);
        return null;
    }

    /// <summary>Null when the object exists and matches; else the first difference.</summary>
    public async Task<string?> AssertAsync(JsonObject source, CancellationToken ct)
    {
        var expected = (JsonObject)source.DeepClone();
        var (place, error) = await TryPlaceAsync(expected, ct);
        if (place is null) return error;
        var (_, ns, name) = place.Value;
        var candidates = await CandidatesAsync(place.Value, expected, ct);
        if (name.Length > 0)
        {
            if (candidates.Count == 0) return $"object {Describe(expected, ns, name)} not found";
            return Subset.Difference(expected, candidates[0]) is { } d ? $"{Describe(expected, ns, name)}: {d}" : null;
        }
        var labels = Labels(expected);
        var what = $"{KuttlJson.Kind(expected)}{(ns is null ? string.Empty : $" in {ns}")}{(labels.Count == 0 ? string.Empty : $" with labels {string.Join(',', labels.Select(l => $"{l.Key}={l.Value}"))}")}";
        if (candidates.Count == 0) return $"no {what} found";
        string? first = null;
        foreach (var actual in candidates)
        {
            var d = Subset.Difference(expected, actual);
            if (d is null) return null;
            first ??= $"{(string?)actual["metadata"]?["name"]}: {d}";
        }
        return $"none of the {candidates.Count} {what} matches; {first}";
    }

    /// <summary>Null when nothing matches the object (an errors file); else what matched.</summary>
    public async Task<string?> AbsentAsync(JsonObject source, CancellationToken ct)
    {
        var expected = (JsonObject)source.DeepClone();
        var (place, error) = await TryPlaceAsync(expected, ct);
        if (place is null) return error;
        var ns = place.Value.Namespace;
        var matching = (await CandidatesAsync(place.Value, expected, ct)).Where(a => Subset.Difference(expected, a) is null).ToList();
        return matching.Count switch
        {
            0 => null,
            1 => $"object {Describe(matching[0], ns, (string?)matching[0]["metadata"]?["name"] ?? string.Empty)} exists and matches an errors entry",
            _ => $"object {Describe(matching[0], ns, (string?)matching[0]["metadata"]?["name"] ?? string.Empty)} (and {matching.Count - 1} more) exists and matches an errors entry",
        };
    }

    /// <summary>The objects an assert or errors entry is compared with: the named one, or all of its kind and labels.</summary>
    public async Task<IReadOnlyList<JsonObject>> FindAsync(JsonObject source, CancellationToken ct)
    {
        var expected = (JsonObject)source.DeepClone();
        return await CandidatesAsync(await PlaceAsync(expected, ct), expected, ct);
    }

    private async Task<IReadOnlyList<JsonObject>> CandidatesAsync((ResourceInfo Resource, string? Namespace, string Name) place, JsonObject expected, CancellationToken ct)
    {
        var (resource, ns, name) = place;
        if (name.Length == 0) return await kube.ListAsync(resource, ns, Labels(expected), ct);
        return await kube.GetAsync(resource, ns, name, ct) is { } actual ? [actual] : [];
    }

    /// <summary>Where the object goes, or why it cannot be placed (an unknown kind is a finding of the step, not a crash).</summary>
    private async Task<((ResourceInfo Resource, string? Namespace, string Name)? Place, string? Error)> TryPlaceAsync(JsonObject obj, CancellationToken ct)
    {
        try
        {
            return (await PlaceAsync(obj, ct), null);
        }
        catch (InvalidDataException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>kuttl's Namespaced(): resolves the kind and fills in the test namespace where it belongs.</summary>
    private async Task<(ResourceInfo Resource, string? Namespace, string Name)> PlaceAsync(JsonObject obj, CancellationToken ct)
    {
        var apiVersion = KuttlJson.ApiVersion(obj) ?? string.Empty;
        var kind = KuttlJson.Kind(obj) ?? string.Empty;
        var meta = Meta(obj);
        var name = (string?)meta["name"] ?? string.Empty;
        var ns = (string?)meta["namespace"];
        var resource = await kube.ResolveAsync(apiVersion, kind, ct)
            ?? throw new InvalidDataException($"the hub serves no kind {kind} in {apiVersion} (is its CRD installed?)");
        if (!string.IsNullOrEmpty(ns)) return (resource, ns, name);
        if (!resource.Namespaced) return (resource, null, name);
        meta["namespace"] = testNamespace;
        return (resource, testNamespace, name);
    }

    private static JsonObject Meta(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta) return meta;
        meta = [];
        obj["metadata"] = meta;
        return meta;
    }

    private static Dictionary<string, string> Labels(JsonObject obj) =>
        obj["metadata"]?["labels"] is JsonObject labels
            ? labels.Where(l => l.Value is JsonValue).ToDictionary(l => l.Key, l => l.Value!.ToString(), StringComparer.Ordinal)
            : [];

    private static string Describe(JsonObject obj, string? ns, string name) =>
        $"{KuttlJson.Kind(obj)} {(ns is null ? string.Empty : ns + "/")}{name}";
}
