using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Talm.Recovery.Restore.Tests;

/// <summary>A real etcd 3.4 on loopback ports, on a given data directory; killed on Dispose.</summary>
public sealed class EtcdServer : IDisposable
{
    private readonly Process _process;

    private EtcdServer(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static EtcdServer Start(string dataDir, string name = "node0")
    {
        var client = FreePort();
        var peer = FreePort();
        var start = new ProcessStartInfo("etcd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "--name", name, "--data-dir", dataDir,
                     "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
                     "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
                     "--initial-cluster", $"{name}=http://127.0.0.1:{peer}",
                 })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new EtcdServer(process, $"http://127.0.0.1:{client}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                Sh.Run("etcdctl", "--endpoints", server.Endpoint, "--command-timeout=2s", "endpoint", "health");
                return server;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Sleep(200);
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }
    }

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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
