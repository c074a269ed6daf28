namespace Talm.Operator.Kube;

/// <summary>
/// The informer's store: objects of one kind by namespace and name. Readers get immutable
/// objects; only the informer writes. What is stored is trimmed (see <see cref="KubeObject.Trimmed"/>).
/// </summary>
public sealed class ObjectCache(CacheShape shape = CacheShape.Full)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, KubeObject>> _byNamespace = new(StringComparer.Ordinal);
    private int _count;

    public int Count
    {
        get { lock (_gate) return _count; }
    }

    public KubeObject? Get(string? ns, string name)
    {
        lock (_gate)
            return _byNamespace.TryGetValue(ns ?? "", out var names) && names.TryGetValue(name, out var obj) ? obj : null;
    }

    public IReadOnlyList<KubeObject> InNamespace(string? ns)
    {
        lock (_gate)
            return _byNamespace.TryGetValue(ns ?? "", out var names) ? [.. names.Values] : [];
    }

    public IReadOnlyList<KubeObject> All()
    {
        lock (_gate)
            return [.. _byNamespace.Values.SelectMany(n => n.Values)];
    }

    /// <summary>Stores the object; returns the one it replaced.</summary>
    internal KubeObject? Upsert(KubeObject obj)
    {
        obj = obj.Trimmed(shape);
        lock (_gate)
        {
            if (!_byNamespace.TryGetValue(obj.Namespace ?? "", out var names))
                _byNamespace[obj.Namespace ?? ""] = names = new(StringComparer.Ordinal);
            names.TryGetValue(obj.Name, out var old);
            names[obj.Name] = obj;
            if (old is null) _count++;
            return old;
        }
    }

    /// <summary>
    /// Write-through of an object this process just wrote, so the next reconcile does not decide
    /// from the version before its own write. Ignored if the cache already holds a newer version.
    /// </summary>
    public void Remember(KubeObject obj)
    {
        // Trimmed before the lock: writers of other objects need not wait for it (Upsert then finds nothing to drop).
        obj = obj.Trimmed(shape);
        lock (_gate)
        {
            var current = Get(obj.Namespace, obj.Name);
            if (current is not null && obj.IsOlderThan(current)) return;
            Upsert(obj);
        }
    }

    /// <summary>
    /// Keeps what the server just answered to a read, even when a watch had delivered a newer version:
    /// versions only go back when the server lost writes (a lab server restored from an older copy), and
    /// then the read is the truth; keeping the lost version would have every write conflict forever.
    /// </summary>
    public void Replace(KubeObject obj)
    {
        obj = obj.Trimmed(shape);
        lock (_gate) Upsert(obj);
    }

    /// <summary>Forgets an object this process just deleted.</summary>
    public void Forget(string? ns, string name) => Remove(ns, name);

    internal KubeObject? Remove(string? ns, string name)
    {
        lock (_gate)
        {
            if (!_byNamespace.TryGetValue(ns ?? "", out var names) || !names.Remove(name, out var old)) return null;
            if (names.Count == 0) _byNamespace.Remove(ns ?? "");
            _count--;
            return old;
        }
    }
}
