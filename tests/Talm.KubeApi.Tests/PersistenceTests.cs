using System.Globalization;
using k8s.Models;
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
}
