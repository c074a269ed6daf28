using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Talm.KubeApi.Tests.Support;

namespace Talm.KubeApi.Tests;

/// <summary>The server through the official KubernetesClient, the way the operator uses it.</summary>
public sealed class ClientConformanceTests
{
    [Fact]
    public async Task Typed_custom_objects_get_identity_and_schema_defaults()
    {
        await using var server = await Lab.StartWithCguAsync();
        using var client = Lab.Client(server);
        using var cgus = Lab.Cgus(client);

        var created = await cgus.CreateNamespacedAsync(Lab.NewCgu("upgrade-1", "sno1", "sno2"), "default");

        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal(false, created.Spec!.Enable);
        Assert.Equal(1, created.Spec.RemediationStrategy!.MaxConcurrency);
        Assert.Equal(240, created.Spec.RemediationStrategy.Timeout);
        var read = await cgus.ReadNamespacedAsync<ClusterGroupUpgrade>("default", "upgrade-1");
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
        Assert.Equal(["sno1", "sno2"], read.Spec!.Clusters);

        var duplicate = await Assert.ThrowsAsync<HttpOperationException>(() => cgus.CreateNamespacedAsync(Lab.NewCgu("upgrade-1"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", duplicate.Response.Content, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => cgus.ReadNamespacedAsync<ClusterGroupUpgrade>("default", "nope"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Contains("\"kind\":\"Status\"", missing.Response.Content, StringComparison.Ordinal);

        var badName = await Assert.ThrowsAsync<HttpOperationException>(() => cgus.CreateNamespacedAsync(Lab.NewCgu("Not_Valid"), "default"));
        Assert.Equal((HttpStatusCode)422, badName.Response.StatusCode);

        var orphan = Lab.NewCgu("x");
        orphan.Metadata.NamespaceProperty = null;
        var noNamespace = await Assert.ThrowsAsync<HttpOperationException>(() => cgus.CreateNamespacedAsync(orphan, "absent"));
        Assert.Equal(HttpStatusCode.NotFound, noNamespace.Response.StatusCode);
        Assert.Contains("namespaces \\\"absent\\\" not found", noNamespace.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_subresource_splits_spec_and_status_and_detects_conflicts()
    {
        await using var server = await Lab.StartWithCguAsync();
        using var client = Lab.Client(server);
        using var cgus = Lab.Cgus(client);
        var cgu = await cgus.CreateNamespacedAsync(Lab.NewCgu("upgrade-1", "sno1"), "default");

        cgu.Status = new CguStatus { Conditions = [new V1Condition { Type = "Progressing", Status = "True", Reason = "InProgress", Message = "msg", LastTransitionTime = DateTime.UtcNow }] };
        var afterStatus = await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<ClusterGroupUpgrade>(
            cgu, Lab.Group, Lab.Version, "default", Lab.Plural, "upgrade-1");
        Assert.Equal("InProgress", afterStatus.Status!.Conditions![0].Reason);
        Assert.Equal(1, afterStatus.Metadata.Generation);

        // The stale object (old resourceVersion) must be refused on both endpoints.
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<ClusterGroupUpgrade>(cgu, Lab.Group, Lab.Version, "default", Lab.Plural, "upgrade-1"));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        Assert.Contains("the object has been modified", stale.Response.Content, StringComparison.Ordinal);

        // A spec change on the main resource bumps generation and ignores the status it carries.
        afterStatus.Spec!.Enable = true;
        afterStatus.Status = new CguStatus { Conditions = [] };
        var afterSpec = await cgus.ReplaceNamespacedAsync(afterStatus, "default", "upgrade-1");
        Assert.Equal(2, afterSpec.Metadata.Generation);
        Assert.True(afterSpec.Spec!.Enable);
        Assert.Equal("InProgress", Assert.Single(afterSpec.Status!.Conditions!).Reason);

        // A spec change through the status endpoint is ignored.
        afterSpec.Spec.Enable = false;
        var viaStatus = await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<ClusterGroupUpgrade>(
            afterSpec, Lab.Group, Lab.Version, "default", Lab.Plural, "upgrade-1");
        Assert.True(viaStatus.Spec!.Enable);
        Assert.Equal(2, viaStatus.Metadata.Generation);

        // A merge patch on status (what operators often send) works too and keeps generation.
        var patched = await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<ClusterGroupUpgrade>(
            new V1Patch("{\"status\":{\"conditions\":[{\"type\":\"Succeeded\",\"status\":\"True\",\"reason\":\"Completed\",\"message\":\"done\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}", V1Patch.PatchType.MergePatch),
            Lab.Group, Lab.Version, "default", Lab.Plural, "upgrade-1");
        Assert.Equal("Completed", patched.Status!.Conditions![0].Reason);
        Assert.Equal(2, patched.Metadata.Generation);
    }

    [Fact]
    public async Task Watch_delivers_ordered_events_bookmarks_and_410_then_relist_resumes()
    {
        await using var server = await Lab.StartWithCguAsync(new KubeApiServerOptions
        {
            WatchWindow = 5,
            BookmarkInterval = TimeSpan.FromMilliseconds(200),
        });
        using var client = Lab.Client(server);
        using var cgus = Lab.Cgus(client);
        await cgus.CreateNamespacedAsync(Lab.NewCgu("a"), "default");
        var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<CguList>(
            Lab.Group, Lab.Version, "default", Lab.Plural);
        var listRv = list.Metadata.ResourceVersion;

        var events = Channel.CreateUnbounded<(WatchEventType Type, ClusterGroupUpgrade Obj)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watch = Task.Run(async () =>
        {
            var stream = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
                Lab.Group, Lab.Version, "default", Lab.Plural, allowWatchBookmarks: true, resourceVersion: listRv, cancellationToken: cts.Token);
            await foreach (var (type, obj) in stream)
            {
                await events.Writer.WriteAsync((type, Typed(obj)));
            }
        });
        await cgus.CreateNamespacedAsync(Lab.NewCgu("b"), "default");
        await cgus.PatchNamespacedAsync<ClusterGroupUpgrade>(new V1Patch("{\"spec\":{\"enable\":true}}", V1Patch.PatchType.MergePatch), "default", "b");
        await cgus.DeleteNamespacedAsync<ClusterGroupUpgrade>("default", "a");

        var seen = new List<(WatchEventType, string)>();
        var sawBookmark = false;
        while (seen.Count < 3 || !sawBookmark)
        {
            var (type, obj) = await events.Reader.ReadAsync(cts.Token);
            if (type == WatchEventType.Bookmark) sawBookmark = true;
            else seen.Add((type, obj.Metadata.Name));
        }
        Assert.Equal([(WatchEventType.Added, "b"), (WatchEventType.Modified, "b"), (WatchEventType.Deleted, "a")], seen);
        await cts.CancelAsync();
        await Task.WhenAny(watch, Task.Delay(5000));

        // Push the old version out of the 5-event window: resuming from it must be 410 Gone.
        for (var i = 0; i < 6; i++)
        {
            await cgus.PatchNamespacedAsync<ClusterGroupUpgrade>(new V1Patch($"{{\"spec\":{{\"clusters\":[\"c{i}\"]}}}}", V1Patch.PatchType.MergePatch), "default", "b");
        }
        var errors = new List<Exception>();
        var stale = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
            Lab.Group, Lab.Version, "default", Lab.Plural, resourceVersion: listRv, onError: errors.Add);
        await foreach (var _ in stale)
        {
            Assert.Fail("no event may arrive on a watch from a compacted version");
        }
        var gone = Assert.IsType<KubernetesException>(Assert.Single(errors));
        Assert.Equal(410, gone.Status.Code);

        // The client's recovery: relist, then watch from the new list's version.
        var relist = await client.CustomObjects.ListNamespacedCustomObjectAsync<CguList>(
            Lab.Group, Lab.Version, "default", Lab.Plural);
        Assert.Equal(["c5"], Assert.Single(relist.Items).Spec!.Clusters);
        using var cts2 = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var resumed = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
            Lab.Group, Lab.Version, "default", Lab.Plural, resourceVersion: relist.Metadata.ResourceVersion, cancellationToken: cts2.Token);
        var enumerator = resumed.GetAsyncEnumerator(cts2.Token);
        var next = enumerator.MoveNextAsync().AsTask();
        await cgus.CreateNamespacedAsync(Lab.NewCgu("c"), "default");
        Assert.True(await next);
        Assert.Equal((WatchEventType.Added, "c"), (enumerator.Current.Item1, Typed(enumerator.Current.Item2).Metadata.Name));
        await cts2.CancelAsync();
        try
        {
            await enumerator.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
            // Cancelled on purpose.
        }
    }

    private static ClusterGroupUpgrade Typed(object item) => KubernetesJson.Deserialize<ClusterGroupUpgrade>(KubernetesJson.Serialize(item));

    [Fact]
    public async Task Label_and_field_selectors_and_paging_filter_lists()
    {
        await using var server = await Lab.StartWithCguAsync();
        using var client = Lab.Client(server);
        using var cgus = Lab.Cgus(client);
        for (var i = 0; i < 5; i++)
        {
            var cgu = Lab.NewCgu($"u{i}");
            cgu.Metadata.Labels = new Dictionary<string, string> { ["tier"] = i < 2 ? "canary" : "bulk" };
            if (i == 4) cgu.Metadata.Labels["hold"] = "yes";
            await cgus.CreateNamespacedAsync(cgu, "default");
        }
        async Task<string[]> Names(string? labels = null, string? fields = null)
        {
            var l = await cgus.ListNamespacedAsync<CguList>("default", labels, fields);
            return l.Items.Select(i => i.Metadata.Name).ToArray();
        }
        Assert.Equal(["u0", "u1"], await Names("tier=canary"));
        Assert.Equal(["u0", "u1"], await Names("tier==canary"));
        Assert.Equal(["u2", "u3", "u4"], await Names("tier!=canary"));
        Assert.Equal(["u2", "u3"], await Names("tier in (bulk),!hold"));
        Assert.Equal(["u0", "u1"], await Names("tier notin (bulk)"));
        Assert.Equal(["u4"], await Names("hold"));
        Assert.Equal(["u3"], await Names(fields: "metadata.name=u3"));
        Assert.Equal(["u0", "u1", "u2", "u4"], await Names(fields: "metadata.name!=u3,metadata.namespace=default"));

        var page1 = await cgus.ListNamespacedAsync<CguList>("default", limit: 2);
        Assert.Equal(2, page1.Items.Count);
        Assert.False(string.IsNullOrEmpty(page1.Metadata.ContinueProperty));
        var page2 = await cgus.ListNamespacedAsync<CguList>("default", limit: 2, continueToken: page1.Metadata.ContinueProperty);
        var page3 = await cgus.ListNamespacedAsync<CguList>("default", limit: 2, continueToken: page2.Metadata.ContinueProperty);
        Assert.Equal(["u0", "u1", "u2", "u3", "u4"], page1.Items.Concat(page2.Items).Concat(page3.Items).Select(i => i.Metadata.Name));
        Assert.True(string.IsNullOrEmpty(page3.Metadata.ContinueProperty));

        var badSelector = await Assert.ThrowsAsync<HttpOperationException>(() => Names(fields: "spec.enable=true"));
        Assert.Equal(HttpStatusCode.BadRequest, badSelector.Response.StatusCode);
    }

    [Fact]
    public async Task Finalizers_hold_deletion_until_removed_and_namespaces_cascade()
    {
        await using var server = await Lab.StartWithCguAsync();
        using var client = Lab.Client(server);
        using var cgus = Lab.Cgus(client);
        var cgu = Lab.NewCgu("held");
        cgu.Metadata.Finalizers = ["ran.openshift.io/cleanup"];
        await cgus.CreateNamespacedAsync(cgu, "default");

        await cgus.DeleteNamespacedAsync<ClusterGroupUpgrade>("default", "held");
        var marked = await cgus.ReadNamespacedAsync<ClusterGroupUpgrade>("default", "held");
        Assert.NotNull(marked.Metadata.DeletionTimestamp);
        marked.Metadata.Finalizers = [];
        await cgus.ReplaceNamespacedAsync(marked, "default", "held");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => cgus.ReadNamespacedAsync<ClusterGroupUpgrade>("default", "held"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);

        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "team");
        Assert.Equal("Active", (await client.CoreV1.ReadNamespaceAsync("team")).Status.Phase);
        await client.CoreV1.DeleteNamespaceAsync("team");
        var nsGone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespaceAsync("team"));
        Assert.Equal(HttpStatusCode.NotFound, nsGone.Response.StatusCode);
        Assert.Empty((await client.CoreV1.ListNamespacedConfigMapAsync("team")).Items);
    }

    [Fact]
    public async Task Leader_election_on_a_lease_moves_to_the_second_candidate_when_the_first_stops()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        using var client = Lab.Client(server);
        LeaderElector Candidate(string id) => new(new LeaderElectionConfig(new LeaseLock(client, "default", "talm-operator", id))
        {
            LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromSeconds(1),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        });
        using var first = Candidate("first");
        using var second = Candidate("second");
        var firstLeads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondLeads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.OnStartedLeading += () => firstLeads.TrySetResult();
        second.OnStartedLeading += () => secondLeads.TrySetResult();
        using var stopFirst = new CancellationTokenSource();
        using var stopSecond = new CancellationTokenSource();
        var runFirst = first.RunUntilLeadershipLostAsync(stopFirst.Token);
        await firstLeads.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var runSecond = second.RunUntilLeadershipLostAsync(stopSecond.Token);
        await Task.Delay(1500);
        Assert.False(secondLeads.Task.IsCompleted, "the second candidate must not lead while the first renews");
        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("talm-operator", "default");
        Assert.Equal("first", lease.Spec.HolderIdentity);

        await stopFirst.CancelAsync();
        await secondLeads.Task.WaitAsync(TimeSpan.FromSeconds(15));
        lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("talm-operator", "default");
        Assert.Equal("second", lease.Spec.HolderIdentity);
        Assert.True(lease.Spec.LeaseTransitions >= 1);
        await stopSecond.CancelAsync();
        await Task.WhenAny(Task.WhenAll(runFirst, runSecond).ContinueWith(_ => { }, TaskScheduler.Default), Task.Delay(5000));
    }
}
