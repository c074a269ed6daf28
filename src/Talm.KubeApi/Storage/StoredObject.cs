using System.Text.Json.Nodes;

namespace Talm.KubeApi.Storage;

/// <summary>
/// One stored object version. <see cref="Node"/> is never changed after it is stored (writers clone first),
/// so readers and watchers share it and its serialized <see cref="Json"/> without copying.
/// </summary>
public sealed class StoredObject
{
    public StoredObject(string resourceKey, string ns, string name, JsonObject node, byte[] json, long resourceVersion)
    {
        ResourceKey = resourceKey;
        Namespace = ns;
        Name = name;
        Node = node;
        Json = json;
        ResourceVersion = resourceVersion;
    }

    public string ResourceKey { get; }
    public string Namespace { get; }
    public string Name { get; }
    public JsonObject Node { get; }
    public byte[] Json { get; }
    public long ResourceVersion { get; }

    public static string Key(string ns, string name) => ns + "/" + name;
}
