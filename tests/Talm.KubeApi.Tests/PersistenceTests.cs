using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Talm.KubeApi.Json;
using Talm.KubeApi.Tests.Support;

namespace Talm.KubeApi.Tests;

/// <summary>State under a data directory survives a restart and resourceVersions keep increasing.</summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("kubeapi-data-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Objects_crds_and_resource_versions_survive_a_restart()
    {
        string lastRv;
        string uid;
        await using (var server = await Lab.StartWithCguAsync(new KubeApiServerOptions { DataDirectory = _data }))
        {
            using var client = Lab.Client(server);
            using var cgus = Lab.Cgus(client);
            await cgus.CreateNamespacedAsync(Lab.NewCgu("kept", "sno1"), "default");
            await cgus.CreateNamespacedAsync(Lab.NewCgu("dropped"), "default");
            await cgus.DeleteNamespacedAsync<ClusterGroupUpgrade>("default", "dropped");
            var patched = await cgus.PatchNamespacedAsync<ClusterGroupUpgrade>(new V1Patch("{\"spec\":{\"enable\":true}}", V1Patch.PatchType.MergePatch), "default", "kept");
            lastRv = patched.Metadata.ResourceVersion;
            uid = patched.Metadata.Uid;
        }

        await using (var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = _data }))
        {
            using var client = Lab.Client(server);
            using var cgus = Lab.Cgus(client);
            var kept = await cgus.ReadNamespacedAsync<ClusterGroupUpgrade>("default", "kept");
            Assert.Equal(uid, kept.Metadata.Uid);
            Assert.Equal(lastRv, kept.Metadata.ResourceVersion);
            Assert.True(kept.Spec!.Enable);
            Assert.Equal(2, kept.Metadata.Generation);
            Assert.Equal(["kept"], (await cgus.ListNamespacedAsync<CguList>("default")).Items.Select(i => i.Metadata.Name));

            var next = await cgus.CreateNamespacedAsync(Lab.NewCgu("after-restart"), "default");
            Assert.True(long.Parse(next.Metadata.ResourceVersion, CultureInfo.InvariantCulture) > long.Parse(lastRv, CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task A_crash_without_clean_shutdown_keeps_acknowledged_writes_and_ignores_a_torn_record()
    {
        // Simulate a crash: acknowledged writes are in the log; append half a record as a torn write would.
        var server = await Lab.StartWithCguAsync(new KubeApiServerOptions { DataDirectory = _data });
        using (var client = Lab.Client(server))
        using (var cgus = Lab.Cgus(client))
        {
            await cgus.CreateNamespacedAsync(Lab.NewCgu("acknowledged"), "default");
        }
        var logCopy = Path.Combine(_data, "crash-copy");
        Directory.CreateDirectory(logCopy);
        foreach (var f in Directory.GetFiles(_data)) File.Copy(f, Path.Combine(logCopy, Path.GetFileName(f)));
        await server.DisposeAsync();
        await File.AppendAllTextAsync(Path.Combine(logCopy, "wal.jsonl"), "{\"rv\":999999,\"r\":\"ran.openshift.io/clustergroupupgr");

        await using var restarted = await KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = logCopy });
        using var client2 = Lab.Client(restarted);
        using var cgus2 = Lab.Cgus(client2);
        var names = (await cgus2.ListNamespacedAsync<CguList>("default")).Items.Select(i => i.Metadata.Name);
        Assert.Equal(["acknowledged"], names);
        var created = await cgus2.CreateNamespacedAsync(Lab.NewCgu("later"), "default");
        Assert.True(long.Parse(created.Metadata.ResourceVersion, CultureInfo.InvariantCulture) < 999999);
    }

    [Fact]
    public async Task The_log_is_folded_into_a_snapshot_while_running_and_nothing_is_lost()
    {
        await using (var server = await Lab.StartWithCguAsync(new KubeApiServerOptions { DataDirectory = _data, SnapshotAfterRecords = 10 }))
        {
            using var client = Lab.Client(server);
            using var cgus = Lab.Cgus(client);
            for (var i = 0; i < 25; i++) await cgus.CreateNamespacedAsync(Lab.NewCgu($"c{i:D2}"), "default");
            Assert.True(File.ReadAllLines(Path.Combine(_data, "wal.jsonl")).Length < 10, "the log must have been rotated");
            // Copy the files as they are now (no clean shutdown) and start from the copy.
            var copy = Path.Combine(_data, "copy");
            Directory.CreateDirectory(copy);
            foreach (var f in Directory.GetFiles(_data)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            await using var restarted = await KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = copy });
            using var client2 = Lab.Client(restarted);
            using var cgus2 = Lab.Cgus(client2);
            Assert.Equal(25, (await cgus2.ListNamespacedAsync<CguList>("default")).Items.Count);
        }
    }

    private static JsonObject Nested(int levels)
    {
        var inner = new JsonObject();
        for (var i = 1; i < levels; i++) inner = new JsonObject { ["a"] = inner };
        return inner;
    }

    /// <summary>A CGU whose whole body is nested exactly <paramref name="depth"/> levels deep.</summary>
    private static string DeepCgu(string name, int depth) => new JsonObject
    {
        ["apiVersion"] = "ran.openshift.io/v1alpha1", ["kind"] = "ClusterGroupUpgrade",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["deep"] = Nested(depth - 2) },
    }.ToJsonString(JsonUtil.Options);

    private static async Task<HttpStatusCode> PostAsync(KubeApiServer server, string body)
    {
        using var http = new HttpClient { BaseAddress = server.Url };
        using var response = await http.PostAsync("/apis/ran.openshift.io/v1alpha1/namespaces/default/clustergroupupgrades",
            new StringContent(body, Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }

    private static async Task<JsonNode?> DeepSpecAsync(KubeApiServer server, string name)
    {
        using var http = new HttpClient { BaseAddress = server.Url };
        var json = await http.GetStringAsync($"/apis/ran.openshift.io/v1alpha1/namespaces/default/clustergroupupgrades/{name}");
        return JsonNode.Parse(json, documentOptions: JsonUtil.BodyOptions)!["spec"]!["deep"];
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    [Fact]
    public async Task The_deepest_object_accepted_survives_a_clean_stop_and_a_crash()
    {
        var crashCopy = Path.Combine(Path.GetTempPath(), "kubeapi-crash-" + Guid.NewGuid().ToString("n"));
        try
        {
            await using (var server = await Lab.StartWithCguAsync(new KubeApiServerOptions { DataDirectory = _data }))
            {
                Assert.Equal(HttpStatusCode.Created, await PostAsync(server, DeepCgu("deepest", JsonUtil.MaxDepth)));
                Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(server, DeepCgu("too-deep", JsonUtil.MaxDepth + 1)));
                // Without a clean stop: what is on disk now is what a crash would leave.
                CopyDirectory(_data, crashCopy);
            }
            var expected = Nested(JsonUtil.MaxDepth - 2);
            await using (var restarted = await KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = _data }))
                Assert.True(JsonNode.DeepEquals(expected, await DeepSpecAsync(restarted, "deepest")), "after a clean stop");
            await using (var afterCrash = await KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = crashCopy }))
                Assert.True(JsonNode.DeepEquals(expected, await DeepSpecAsync(afterCrash, "deepest")), "after a crash");
        }
        finally
        {
            if (Directory.Exists(crashCopy)) Directory.Delete(crashCopy, recursive: true);
        }
    }

    [Fact]
    public async Task A_json_patch_cannot_build_an_object_deeper_than_a_body_may_be()
    {
        await using var server = await Lab.StartWithCguAsync(new KubeApiServerOptions { DataDirectory = _data });
        Assert.Equal(HttpStatusCode.Created, await PostAsync(server, DeepCgu("deep", JsonUtil.MaxDepth - 1)));
        using var http = new HttpClient { BaseAddress = server.Url };
        var path = "/spec/deep" + string.Concat(Enumerable.Repeat("/a", JsonUtil.MaxDepth - 4)) + "/b";
        using var patch = new HttpRequestMessage(HttpMethod.Patch, "/apis/ran.openshift.io/v1alpha1/namespaces/default/clustergroupupgrades/deep")
        {
            Content = new StringContent("[{\"op\":\"add\",\"path\":\"" + path + "\",\"value\":{\"c\":{}}}]", Encoding.UTF8, "application/json-patch+json"),
        };
        using var response = await http.SendAsync(patch);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>Starts a server on the data directory, makes five CGUs and crashes (the log is not folded).</summary>
    private async Task<string> FiveWritesThenCrashAsync()
    {
        var crashed = Path.Combine(_data, "crashed");
        await using (var server = await Lab.StartWithCguAsync(new KubeApiServerOptions { DataDirectory = _data }))
        {
            using var client = Lab.Client(server);
            using var cgus = Lab.Cgus(client);
            for (var i = 0; i < 5; i++) await cgus.CreateNamespacedAsync(Lab.NewCgu($"c{i}"), "default");
            CopyDirectory(_data, crashed);
        }
        Assert.True(File.ReadAllLines(Path.Combine(crashed, "wal.jsonl")).Length >= 5);
        return crashed;
    }

    private static async Task AssertRefusedAsync(string dir, string expected)
    {
        var before = Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = dir }));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", e.Message, StringComparison.Ordinal);
        var after = Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        Assert.Equal(before.Count, after.Count);
        for (var i = 0; i < before.Count; i++) Assert.True(before[i].AsSpan().SequenceEqual(after[i]), "a file was changed by the refused start");
    }

    [Fact]
    public async Task A_damaged_record_in_the_middle_of_the_log_refuses_the_start_and_changes_nothing()
    {
        var dir = await FiveWritesThenCrashAsync();
        var log = Path.Combine(dir, "wal.jsonl");
        var lines = File.ReadAllLines(log);
        lines[2] = lines[2][..(lines[2].Length / 2)];
        File.WriteAllText(log, string.Join('\n', lines) + "\n");
        await AssertRefusedAsync(dir, "wal.jsonl line 3");
    }

    [Fact]
    public async Task A_record_changed_so_that_it_still_parses_is_caught_by_its_checksum()
    {
        var dir = await FiveWritesThenCrashAsync();
        var log = Path.Combine(dir, "wal.jsonl");
        var lines = File.ReadAllLines(log);
        Assert.Contains("\"c3\"", lines[^2], StringComparison.Ordinal);
        lines[^2] = lines[^2].Replace("\"c3\"", "\"c9\"", StringComparison.Ordinal);
        File.WriteAllText(log, string.Join('\n', lines) + "\n");
        await AssertRefusedAsync(dir, "does not match its checksum");
    }

    [Fact]
    public async Task A_missing_record_is_a_gap_in_resource_versions_and_refuses_the_start()
    {
        var dir = await FiveWritesThenCrashAsync();
        var log = Path.Combine(dir, "wal.jsonl");
        var lines = File.ReadAllLines(log).ToList();
        lines.RemoveAt(1);
        File.WriteAllText(log, string.Join('\n', lines) + "\n");
        await AssertRefusedAsync(dir, "records are missing");
    }

    [Fact]
    public async Task A_damaged_or_missing_snapshot_refuses_the_start()
    {
        var dir = await FiveWritesThenCrashAsync();
        var snapshot = Path.Combine(dir, "snapshot.jsonl");
        var bytes = File.ReadAllBytes(snapshot);
        bytes[bytes.Length / 2] ^= 0x20;
        File.WriteAllBytes(snapshot, bytes);
        await AssertRefusedAsync(dir, "snapshot.jsonl line");

        File.Delete(snapshot);
        await AssertRefusedAsync(dir, "snapshot.jsonl is missing");
    }

    [Fact]
    public async Task A_torn_tail_is_left_out_but_a_whole_last_record_without_its_newline_is_kept()
    {
        var dir = await FiveWritesThenCrashAsync();
        var log = Path.Combine(dir, "wal.jsonl");
        var text = File.ReadAllText(log);
        var snapshot = File.ReadAllBytes(Path.Combine(dir, "snapshot.jsonl"));
        File.WriteAllText(log, text[..^1]); // the last record whole, only its newline lost
        await using (var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = dir }))
        {
            using var client = Lab.Client(server);
            using var cgus = Lab.Cgus(client);
            Assert.Equal(["c0", "c1", "c2", "c3", "c4"], (await cgus.ListNamespacedAsync<CguList>("default")).Items.Select(i => i.Metadata.Name));
        }

        // The same crash, but cut in the middle of the last record (the restart above folded the log: rebuild the state).
        var again = Path.Combine(_data, "again");
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Directory.CreateDirectory(again);
        File.WriteAllBytes(Path.Combine(again, "snapshot.jsonl"), snapshot);
        File.WriteAllText(Path.Combine(again, "wal.jsonl"), string.Join('\n', lines[..^1]) + "\n" + lines[^1][..20] + "\0\0\0");
        await using var restarted = await KubeApiServer.StartAsync(new KubeApiServerOptions { DataDirectory = again });
        using var client2 = Lab.Client(restarted);
        using var cgus2 = Lab.Cgus(client2);
        Assert.Equal(["c0", "c1", "c2", "c3"], (await cgus2.ListNamespacedAsync<CguList>("default")).Items.Select(i => i.Metadata.Name));
    }

    [Fact]
    public async Task A_directory_written_before_records_had_checksums_still_loads()
    {
        Directory.CreateDirectory(_data);
        var cgu = """{"apiVersion":"ran.openshift.io/v1alpha1","kind":"ClusterGroupUpgrade","metadata":{"name":"old","namespace":"default","uid":"u","resourceVersion":"7","creationTimestamp":"2026-01-01T00:00:00Z","generation":1},"spec":{}}""";
        File.WriteAllText(Path.Combine(_data, "snapshot.jsonl"), "{\"rv\":6}\n");
        File.WriteAllText(Path.Combine(_data, "wal.jsonl"),
            $$"""{"rv":7,"r":"ran.openshift.io/clustergroupupgrades","ns":"default","name":"old","obj":{{cgu}}}""" + "\n");
        await using var server = await Lab.StartWithCguAsync(new KubeApiServerOptions { DataDirectory = _data });
        Assert.NotNull(server.Service.Store.Get("ran.openshift.io/clustergroupupgrades", "default", "old"));
    }
}
