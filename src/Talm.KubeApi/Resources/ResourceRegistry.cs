using System.Collections.Concurrent;

namespace Talm.KubeApi.Resources;

/// <summary>What is served right now: the built-ins plus one entry per established CRD.</summary>
public sealed class ResourceRegistry
{
    private readonly ConcurrentDictionary<string, ResourceType> _byKey = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private long _revision;

    public ResourceRegistry()
    {
        foreach (var builtin in BuiltinResources.All) _byKey[builtin.Key] = builtin;
    }

    /// <summary>Bumped on every change so discovery/OpenAPI documents can carry a cache-busting hash.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    public IReadOnlyCollection<ResourceType> All => _byKey.Values.ToList();

    public ResourceType? Find(string group, string version, string plural) =>
        _byKey.TryGetValue(group + "/" + plural, out var t) && t.Version(version) is not null ? t : null;

    public ResourceType? FindByKey(string key) => _byKey.GetValueOrDefault(key);

    public bool IsGroupVersionServed(string group, string version) =>
        _byKey.Values.Any(t => t.Group == group && t.Version(version) is not null);

    public void AddOrReplace(ResourceType type)
    {
        lock (_gate)
        {
            _byKey[type.Key] = type;
            _revision++;
        }
    }

    public void Remove(string key)
    {
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out var t) && t.IsCustom)
            {
                _byKey.TryRemove(key, out _);
                _revision++;
            }
        }
    }
}
