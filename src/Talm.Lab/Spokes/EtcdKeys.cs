using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Recovery.Processes;

namespace Talm.Lab.Spokes;

/// <summary>Runs etcdctl with these arguments against one etcd, whose endpoint and credentials it already knows.</summary>
public delegate Task<ProcessResult> Etcdctl(IReadOnlyList<string> args, CancellationToken ct);

/// <summary>Every key of an etcd with a hash of its value: what "etcd is back as it was" is checked against.</summary>
public static class EtcdKeys
{
    public static async Task<SortedDictionary<string, string>> ReadAsync(Etcdctl etcdctl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(etcdctl);
        var r = await etcdctl(["get", "", "--prefix", "-w", "json"], ct);
        if (r.ExitCode != 0) throw new InvalidOperationException($"cannot read etcd: {r.StandardError.Trim()}");
        var doc = JsonNode.Parse(r.StandardOutput);
        var keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in doc?["kvs"]?.AsArray() ?? [])
        {
            var key = Encoding.UTF8.GetString(Convert.FromBase64String(kv!["key"]!.GetValue<string>()));
            var value = kv["value"] is JsonValue v ? Convert.FromBase64String(v.GetValue<string>()) : [];
            keys[key] = Convert.ToHexStringLower(SHA256.HashData(value));
        }
        return keys;
    }

    public static async Task PutAsync(Etcdctl etcdctl, string key, string value, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(etcdctl);
        var r = await etcdctl(["put", key, value], ct);
        if (r.ExitCode != 0) throw new InvalidOperationException($"cannot write {key} to etcd: {r.StandardError.Trim()}");
    }

    public static Task SaveAsync(string file, SortedDictionary<string, string> keys, CancellationToken ct) =>
        File.WriteAllTextAsync(file, JsonSerializer.Serialize(keys), ct);

    public static async Task<SortedDictionary<string, string>> LoadAsync(string file, CancellationToken ct) =>
        new(JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(file, ct)) ?? [], StringComparer.Ordinal);

    /// <summary>What differs, in one line per key (at most <paramref name="max"/>), empty when equal.</summary>
    public static List<string> Diff(IReadOnlyDictionary<string, string> want, IReadOnlyDictionary<string, string> have, int max = 10)
    {
        var lines = new List<string>();
        foreach (var (k, v) in want)
        {
            if (!have.TryGetValue(k, out var h)) lines.Add($"missing {k}");
            else if (h != v) lines.Add($"changed {k}");
        }
        lines.AddRange(have.Keys.Where(k => !want.ContainsKey(k)).Select(k => $"extra {k}"));
        return lines.Take(max).ToList();
    }
}
