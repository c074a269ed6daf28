using System.Text.Json.Nodes;

namespace Talm.KubeApi.Storage;

public enum MutationKind
{
    Keep,
    Put,
    Delete,
}

/// <summary>What a write decided after seeing the current object: keep it, store a new version, or remove it.</summary>
public sealed record Mutation(MutationKind Kind, JsonObject? Node)
{
    public static Mutation Keep { get; } = new(MutationKind.Keep, null);
    public static Mutation Put(JsonObject node) => new(MutationKind.Put, node);
    /// <summary>Removes the object; <paramref name="finalState"/> is what the DELETED event carries.</summary>
    public static Mutation Delete(JsonObject finalState) => new(MutationKind.Delete, finalState);
}

/// <summary>The outcome of a write: the object now (or as deleted) and a task that completes once it is durable.</summary>
public sealed record WriteResult(StoredObject? Object, bool Changed, StoreEventType? EventType, Task Durable);
