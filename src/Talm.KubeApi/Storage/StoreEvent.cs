namespace Talm.KubeApi.Storage;

public enum StoreEventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>A committed change, in resourceVersion order; <see cref="Previous"/> lets selector watches see objects leave.</summary>
public sealed record StoreEvent(long ResourceVersion, StoreEventType Type, StoredObject Object, StoredObject? Previous)
{
    private sealed record CachedFrame(string Type, byte[] Frame);

    // A reference, so a watcher reading it while another sets it sees either the old or the new pair, never a mix.
    private volatile CachedFrame? _frame;

    /// <summary>
    /// The watch line <c>{"type":T,"object":...}\n</c> for the stored JSON, built once and shared by every
    /// watcher that sends this event unchanged (the common case), so fan-out costs one copy per watcher.
    /// </summary>
    public byte[] Frame(string type)
    {
        var cached = _frame;
        if (cached is not null && cached.Type == type) return cached.Frame;
        var frame = BuildFrame(type, Object.Json);
        _frame = new CachedFrame(type, frame);
        return frame;
    }

    public static byte[] BuildFrame(string type, byte[] objectJson)
    {
        var head = System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":");
        var frame = new byte[head.Length + objectJson.Length + 2];
        head.CopyTo(frame, 0);
        objectJson.CopyTo(frame, head.Length);
        frame[^2] = (byte)'}';
        frame[^1] = (byte)'\n';
        return frame;
    }
}
