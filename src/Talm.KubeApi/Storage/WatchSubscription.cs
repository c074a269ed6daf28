using System.Threading.Channels;

namespace Talm.KubeApi.Storage;

/// <summary>One open watch: the store pushes matching events in order; the HTTP side drains them.
/// (Multi-reader options only because the single-reader channel cannot report its Count.)</summary>
public sealed class WatchSubscription
{
    internal WatchSubscription(string resourceKey, string? ns)
    {
        ResourceKey = resourceKey;
        Namespace = ns;
    }

    public string ResourceKey { get; }
    public string? Namespace { get; }

    public Channel<StoreEvent> Events { get; } = Channel.CreateUnbounded<StoreEvent>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    internal bool Accepts(StoredObject obj) => Namespace is null || obj.Namespace == Namespace;
}
