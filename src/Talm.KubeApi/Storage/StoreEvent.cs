namespace Talm.KubeApi.Storage;

public enum StoreEventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>A committed change, in resourceVersion order; <see cref="Previous"/> lets selector watches see objects leave.</summary>
public sealed record StoreEvent(long ResourceVersion, StoreEventType Type, StoredObject Object, StoredObject? Previous);
