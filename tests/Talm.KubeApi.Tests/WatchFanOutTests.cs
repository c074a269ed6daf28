using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.KubeApi.Tests.Support;

namespace Talm.KubeApi.Tests;

/// <summary>Concurrent writers and several raw-HTTP watchers: every watcher gets every event, in order.</summary>
public sealed class WatchFanOutTests
{
    [Fact]
    public async Task Three_watchers_each_receive_every_event_of_concurrent_writers_in_resource_version_order()
    {
        const int objects = 300;
        await using var server = await Lab.StartWithCguAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        var collection = $"/apis/{Lab.Group}/{Lab.Version}/namespaces/default/{Lab.Plural}";
        var listRv = JsonNode.Parse(await http.GetStringAsync(collection))!["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watchers = Enumerable.Range(0, 3).Select(_ => Watch(server.Url, $"{collection}?watch=true&resourceVersion={listRv}", objects * 2, stop.Token)).ToList();

        await Parallel.ForEachAsync(Enumerable.Range(0, objects), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var body = $"{{\"metadata\":{{\"name\":\"c{i}\"}},\"spec\":{{\"clusters\":[\"s{i}\"]}}}}";
            using var created = await http.PostAsync(collection, new StringContent(body, Encoding.UTF8, "application/json"), ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var patch = new StringContent("{\"status\":{\"phase\":\"Done\"}}", Encoding.UTF8, "application/merge-patch+json");
            using var patched = await http.PatchAsync($"{collection}/c{i}/status", patch, ct);
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        });

        foreach (var events in await Task.WhenAll(watchers))
        {
            Assert.Equal(objects * 2, events.Count);
            Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Rv < p.Second.Rv), "resourceVersions must strictly increase");
            foreach (var perObject in events.GroupBy(e => e.Name))
            {
                Assert.Equal(["ADDED", "MODIFIED"], perObject.Select(e => e.Type));
            }
        }
    }

    private static async Task<List<(string Type, string Name, long Rv)>> Watch(Uri server, string url, int expected, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var events = new List<(string, string, long)>();
        while (events.Count < expected && await reader.ReadLineAsync(ct) is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            var meta = doc.RootElement.GetProperty("object").GetProperty("metadata");
            events.Add((doc.RootElement.GetProperty("type").GetString()!, meta.GetProperty("name").GetString()!,
                long.Parse(meta.GetProperty("resourceVersion").GetString()!, CultureInfo.InvariantCulture)));
        }
        return events;
    }
}
