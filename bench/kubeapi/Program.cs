using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.KubeApi;

namespace Talm.Bench.KubeApi;

/// <summary>
/// Load for the embedded API server: N custom objects created, then each one's status updated, with
/// W watchers open. Prints throughput, latency percentiles and whether every watcher saw every event in
/// order, for a baseline (no watchers) and the target run (three watchers), plus a durable run (--data).
/// </summary>
public static class Program
{
    private const string Group = "bench.talm.io";
    private const string Plural = "widgets";

    public static async Task<int> Main(string[] args)
    {
        var objects = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        Console.WriteLine($"kubeapi bench: {objects} creates + {objects} status updates, {concurrency} concurrent writers, {Environment.ProcessorCount} cores");

        // Warm-up (JIT, connection pools), not reported.
        await RunAsync(null, Math.Min(objects, 1000), concurrency, watchers: 3, durable: false);
        var baseline = await RunAsync("baseline: in memory, 0 watchers", objects, concurrency, watchers: 0, durable: false);
        var target = await RunAsync("target:   in memory, 3 watchers", objects, concurrency, watchers: 3, durable: false);
        var durable = await RunAsync("durable:  --data (fsync), 3 watchers", objects, concurrency, watchers: 3, durable: true);

        Console.WriteLine();
        Console.WriteLine($"ratio target/baseline throughput: {target.WritesPerSecond / baseline.WritesPerSecond:F2}");
        Console.WriteLine($"ratio durable/baseline throughput: {durable.WritesPerSecond / baseline.WritesPerSecond:F2}");
        var ok = target.WritesPerSecond >= 2000 && target.P99Ms < 20 && target.WatchersComplete;
        Console.WriteLine($"target (>= 2000 writes/s, p99 < 20 ms, every watcher saw every event in order): {(ok ? "MET" : "NOT MET")}");
        return ok ? 0 : 1;
    }

    private sealed record Result(double WritesPerSecond, double P50Ms, double P99Ms, double MaxMs, bool WatchersComplete);

    private static async Task<Result> RunAsync(string? label, int objects, int concurrency, int watchers, bool durable)
    {
        var dataDir = durable ? Directory.CreateTempSubdirectory("kubeapi-bench-").FullName : null;
        try
        {
            await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = dataDir });
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency + watchers + 2 })
            {
                BaseAddress = server.Url,
                Timeout = TimeSpan.FromMinutes(10),
            };
            await CreateCrdAsync(http);
            var collection = $"/apis/{Group}/v1/namespaces/default/{Plural}";
            var startRv = await ListRvAsync(http, collection);

            var expected = objects * 2;
            var clock = new Stopwatch();
            using var watchStop = new CancellationTokenSource();
            var watchTasks = Enumerable.Range(0, watchers).Select(_ => WatchAsync(server.Url, collection, startRv, expected, clock, watchStop.Token)).ToList();
            await Task.Delay(200);

            var latencies = new double[expected];
            var rvs = new string[objects];
            clock.Start();
            await Parallel.ForEachAsync(Enumerable.Range(0, objects), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
            {
                var body = $$$"""{"apiVersion":"{{{Group}}}/v1","kind":"Widget","metadata":{"name":"w-{{{i:D5}}}","labels":{"bench":"yes"}},"spec":{"size":{{{i}}}}}""";
                var sw = Stopwatch.StartNew();
                using var response = await http.PostAsync(collection, new StringContent(body, Encoding.UTF8, "application/json"), ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                latencies[i] = sw.Elapsed.TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"create failed: {response.StatusCode} {text}");
                rvs[i] = JsonNode.Parse(text)!["metadata"]!["resourceVersion"]!.GetValue<string>();
            });
            await Parallel.ForEachAsync(Enumerable.Range(0, objects), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
            {
                var body = $$$"""{"apiVersion":"{{{Group}}}/v1","kind":"Widget","metadata":{"name":"w-{{{i:D5}}}","resourceVersion":"{{{rvs[i]}}}"},"status":{"phase":"Ready","observed":{{{i}}}}}""";
                var sw = Stopwatch.StartNew();
                using var response = await http.PutAsync($"{collection}/w-{i:D5}/status", new StringContent(body, Encoding.UTF8, "application/json"), ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                latencies[objects + i] = sw.Elapsed.TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"status update failed: {response.StatusCode} {text}");
            });
            var writeSeconds = clock.Elapsed.TotalSeconds;
            // Watchers get 30 s after the last write to catch up; a stalled one reports what it got.
            watchStop.CancelAfter(TimeSpan.FromSeconds(30));
            var watchResults = await Task.WhenAll(watchTasks);
            var drainSeconds = clock.Elapsed.TotalSeconds;

            Array.Sort(latencies);
            var result = new Result(expected / writeSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1],
                watchResults.All(w => w.Complete));
            if (label is null) return result;
            Console.WriteLine();
            Console.WriteLine(label);
            Console.WriteLine($"  writes: {expected} in {writeSeconds:F2} s = {result.WritesPerSecond:F0} writes/s; latency p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, max {result.MaxMs:F1} ms");
            foreach (var (w, i) in watchResults.Select((w, i) => (w, i)))
            {
                Console.WriteLine($"  watcher {i + 1}: {w.Events}/{expected} events, in order: {w.InOrder}, last event at {w.LastEventSeconds:F2} s (writes ended {writeSeconds:F2} s)");
            }
            if (watchers > 0) Console.WriteLine($"  all watchers drained after {drainSeconds:F2} s");
            return result;
        }
        finally
        {
            if (dataDir is not null) Directory.Delete(dataDir, recursive: true);
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private sealed record WatchResult(int Events, bool InOrder, bool Complete, double LastEventSeconds);

    /// <summary>Counts events and checks resourceVersions strictly increase and each object goes ADDED then MODIFIED.</summary>
    private static async Task<WatchResult> WatchAsync(Uri server, string collection, string fromRv, int expected, Stopwatch clock, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var response = await http.GetAsync($"{collection}?watch=true&resourceVersion={fromRv}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = 0;
        var inOrder = true;
        long lastRv = 0;
        var seenAdded = new HashSet<string>(StringComparer.Ordinal);
        double lastAt = 0;
        while (events < expected && await ReadLineOrNullAsync(reader, cts.Token) is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            var type = doc.RootElement.GetProperty("type").GetString();
            var meta = doc.RootElement.GetProperty("object").GetProperty("metadata");
            var rv = long.Parse(meta.GetProperty("resourceVersion").GetString()!, CultureInfo.InvariantCulture);
            var name = meta.GetProperty("name").GetString()!;
            if (rv <= lastRv) inOrder = false;
            if (type == "ADDED" && !seenAdded.Add(name)) inOrder = false;
            if (type == "MODIFIED" && !seenAdded.Contains(name)) inOrder = false;
            lastRv = rv;
            events++;
            lastAt = clock.Elapsed.TotalSeconds;
        }
        return new WatchResult(events, inOrder, events == expected && inOrder, lastAt);
    }

    private static async Task<string?> ReadLineOrNullAsync(StreamReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.ReadLineAsync(ct);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return null;
        }
    }

    private static async Task<string> ListRvAsync(HttpClient http, string collection)
    {
        var list = JsonNode.Parse(await http.GetStringAsync(collection))!;
        return list["metadata"]!["resourceVersion"]!.GetValue<string>();
    }

    private static async Task CreateCrdAsync(HttpClient http)
    {
        var crd = """
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"PLURAL.GROUP"},
             "spec":{"group":"GROUP","scope":"Namespaced","names":{"kind":"Widget","plural":"PLURAL","singular":"widget"},
              "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
                "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer"},"color":{"type":"string","default":"blue"}}},
                  "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}]}}
            """.Replace("GROUP", Group, StringComparison.Ordinal).Replace("PLURAL", Plural, StringComparison.Ordinal);
        using var response = await http.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", new StringContent(crd, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }
}
