using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Operator.Election;

namespace Talm.Operator.Tests;

/// <summary>Two operators on one hub: only the lease holder acts; losing the lease ends the run.</summary>
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await Hub.StartAsync();
        await _hub.ClusterAsync("spoke1");
        await _hub.PolicyAsync("upgrade", new() { ["spoke1"] = "NonCompliant" });
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static LeaderElectionOptions Election(string identity) => new()
    {
        Namespace = "default",
        LeaseName = "talm-test",
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(2),
        RenewDeadline = TimeSpan.FromSeconds(1.5),
        RetryPeriod = TimeSpan.FromMilliseconds(300),
    };

    private static JsonObject Spec() => new()
    {
        ["clusters"] = Hub.Arr("spoke1"),
        ["managedPolicies"] = Hub.Arr("upgrade"),
        ["enable"] = false,
        ["remediationStrategy"] = new JsonObject { ["maxConcurrency"] = 1 },
    };

    [Fact]
    public async Task Only_the_leader_acts_and_the_other_takes_over_when_it_stops()
    {
        var a = await _hub.StartOperatorAsync(Hub.Options(election: Election("op-a"), instance: "op-a"));
        await Eventually.TrueAsync(() => a.Leading, "op-a to lead");
        var b = await _hub.StartOperatorAsync(Hub.Options(election: Election("op-b"), instance: "op-b"));

        await _hub.CguAsync("first", Spec());
        await _hub.WaitConditionAsync("first", "Progressing", "False", "NotEnabled");
        await Task.Delay(1000);
        Assert.False(b.Leading);
        var lease = await _hub.Client.CoordinationV1.ReadNamespacedLeaseAsync("talm-test", "default");
        Assert.Equal("op-a", lease.Spec.HolderIdentity);
        Assert.All(await _hub.EventsAsync(), e => Assert.Equal("op-a", e.ReportingInstance));

        await _hub.StopOperatorAsync(a);
        // A clean stop hands the lease back rather than letting it expire.
        lease = await _hub.Client.CoordinationV1.ReadNamespacedLeaseAsync("talm-test", "default");
        Assert.NotEqual("op-a", lease.Spec.HolderIdentity);
        await Eventually.TrueAsync(() => b.Leading, "op-b to take over");
        await _hub.CguAsync("second", Spec());
        await _hub.WaitConditionAsync("second", "Progressing", "False", "NotEnabled");
        // Events are recorded after the status write that they describe.
        await Eventually.TrueAsync(() => _hub.EventsAsync().Result.Any(e => e.InvolvedObject.Name == "second"), "events for second");
        var secondEvents = (await _hub.EventsAsync()).Where(e => e.InvolvedObject.Name == "second").ToList();
        Assert.NotEmpty(secondEvents);
        Assert.All(secondEvents, e => Assert.Equal("op-b", e.ReportingInstance));
    }

    [Fact]
    public async Task Losing_the_lease_ends_the_run_with_LeadershipLostException()
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_hub.Server.KubeconfigPath));
        var leading = new TaskCompletionSource();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = LeaderElection.RunAsync(client, Election("op-a"), async ct =>
        {
            leading.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }, NullLogger.Instance, stop.Token);
        await leading.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Someone else takes the lease over (as after a network partition).
        for (var attempt = 0; ; attempt++)
        {
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("talm-test", "default");
            lease.Spec.HolderIdentity = "intruder";
            lease.Spec.LeaseDurationSeconds = 60;
            lease.Spec.RenewTime = DateTime.UtcNow;
            try
            {
                await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "talm-test", "default");
                break;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict && attempt < 20)
            {
                // op-a renewed in between; take it on the next version.
            }
        }

        var lost = await Assert.ThrowsAsync<LeadershipLostException>(() => run.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("op-a", lost.Message, StringComparison.Ordinal);
        Assert.False(stop.IsCancellationRequested);
    }
}
