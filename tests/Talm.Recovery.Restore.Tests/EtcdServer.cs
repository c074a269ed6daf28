using Talm.Recovery.Etcd;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore.Tests;

/// <summary>A real etcd on loopback (talm's <see cref="LocalEtcd"/>) over a data directory, driven with etcdctl as the scripts drive it.</summary>
public sealed class EtcdServer : IDisposable
{
    private readonly LocalEtcd _etcd;

    private EtcdServer(LocalEtcd etcd)
    {
        _etcd = etcd;
        Endpoint = etcd.ClientUrl.ToString().TrimEnd('/');
    }

    public string Endpoint { get; }

    public static EtcdServer Start(string dataDir, string name = "node0") =>
        new(LocalEtcd.StartAsync(dataDir, new LocalEtcdOptions { Name = name, StartTimeout = TimeSpan.FromSeconds(30) }).GetAwaiter().GetResult());

    public void Put(string key, string value) => Sh.Run("etcdctl", "--endpoints", Endpoint, "put", key, value);

    public void Delete(string key) => Sh.Run("etcdctl", "--endpoints", Endpoint, "del", key);

    /// <summary>Every key and value under a prefix (values as base64, so any bytes compare exactly).</summary>
    public SortedDictionary<string, string> All(string prefix = "/")
    {
        var json = Sh.Run("etcdctl", "--endpoints", Endpoint, "get", "--prefix", prefix, "-w", "json");
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (doc.RootElement.TryGetProperty("kvs", out var kvs))
        {
            foreach (var kv in kvs.EnumerateArray())
            {
                var key = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(kv.GetProperty("key").GetString()!));
                result[key] = kv.TryGetProperty("value", out var value) ? value.GetString()! : "";
            }
        }

        return result;
    }

    public void SnapshotTo(string file) => Sh.Run("etcdctl", "--endpoints", Endpoint, "snapshot", "save", file);

    public static int FreePort() => LoopbackPort.Free();

    public void Dispose() => _etcd.Dispose();
}
