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

    /// <summary>Fails every request while <see cref="Down"/> is set, as an unreachable API server does.</summary>
    private sealed class Blackout : DelegatingHandler
    {
        public volatile bool Down;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Down ? throw new HttpRequestException("Connection refused (simulated outage)") : base.SendAsync(request, cancellationToken);
    }

    private static LeaderElectionOptions Patient(string identity) => Election(identity) with
    {
        LeaseDuration = TimeSpan.FromSeconds(4), RenewDeadline = TimeSpan.FromSeconds(3), RetryPeriod = TimeSpan.FromMilliseconds(300),
    };

    [Fact]
    public async Task An_outage_shorter_than_the_renew_deadline_keeps_the_lease_and_a_longer_one_loses_it_only_after_the_deadline()
    {
        var blackout = new Blackout();
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_hub.Server.KubeconfigPath), blackout);
        var leading = new TaskCompletionSource();
        CancellationToken leadToken = default;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = LeaderElection.RunAsync(client, Patient("op-a"), async ct =>
        {
            leadToken = ct;
            leading.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }, NullLogger.Instance, stop.Token);
        await leading.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // An API blip of 1.5 s (several renewals fail) with a 3 s renew deadline: still the leader.
        blackout.Down = true;
        await Task.Delay(1500);
        blackout.Down = false;
        await Task.Delay(1500);
        Assert.False(run.IsCompleted, run.Exception?.ToString());
        Assert.False(leadToken.IsCancellationRequested);
        var lease = await _hub.Client.CoordinationV1.ReadNamespacedLeaseAsync("talm-test", "default");
        Assert.Equal("op-a", lease.Spec.HolderIdentity);
        Assert.True(DateTime.UtcNow - lease.Spec.RenewTime!.Value < TimeSpan.FromSeconds(2), "renewals resumed after the blip");

        // An outage past the deadline: the lease is given up, but not before the deadline.
        var down = System.Diagnostics.Stopwatch.StartNew();
        blackout.Down = true;
        await Assert.ThrowsAsync<LeadershipLostException>(() => run.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(down.Elapsed >= TimeSpan.FromSeconds(2.5), $"gave up after {down.Elapsed}, before the 3 s renew deadline");
        Assert.True(leadToken.IsCancellationRequested);
        Assert.False(stop.IsCancellationRequested);
    }
}
