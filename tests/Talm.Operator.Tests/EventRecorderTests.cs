using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Talm.Engine.Model;
using Talm.Operator.Events;

namespace Talm.Operator.Tests;

public sealed class EventRecorderTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync() => _hub = await Hub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static EngineEvent Event(string note, string reason = "CguStarted") => new()
    {
        Reason = reason,
        Action = "RemediationStarted",
        Note = note,
        Annotations = new Dictionary<string, string> { ["cgu.openshift.io/event-type"] = "global" },
    };

    [Fact]
    public async Task Events_written_side_by_side_in_one_clock_tick_are_all_kept()
    {
        await _hub.NamespaceAsync(Hub.CguNs);
        // A clock that never moves: every event is written in the same tick.
        var recorder = new EventRecorder(_hub.Client, "ClusterGroupUpgrade", "test-0", new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T10:00:00Z")), NullLogger.Instance);
        var subject = new EventSubject("ran.openshift.io/v1alpha1", "ClusterGroupUpgrade", Hub.CguNs, "cgu", null, null);
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, ct) => await recorder.RecordAsync(subject, Event($"cluster {i}"), ct));
        var messages = (await _hub.EventsAsync()).Select(e => e.Message).ToHashSet();
        Assert.Equal(300, messages.Count);
    }

    [Fact]
    public async Task An_event_is_written_through_events_k8s_io_and_read_as_a_core_event_as_the_reference_shows_it()
    {
        await _hub.NamespaceAsync(Hub.CguNs);
        var recorder = new EventRecorder(_hub.Client, "ClusterGroupUpgrade", "replica-0", _hub.Clock, NullLogger.Instance);
        var subject = new EventSubject("ran.openshift.io/v1alpha1", "ClusterGroupUpgrade", Hub.CguNs, "cgu", "uid-1", "7");
        await recorder.RecordAsync(subject, Event("ClusterGroupUpgrade cgu: cluster spoke1 upgrade started") with { RelatedCluster = "spoke1" }, CancellationToken.None);

        var modern = Assert.Single((await _hub.Client.EventsV1.ListNamespacedEventAsync(Hub.CguNs)).Items);
        Assert.StartsWith("cgu-", modern.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("ClusterGroupUpgrade", modern.ReportingController);
        Assert.Equal("RemediationStarted", modern.Action);
        Assert.Equal("cgu", modern.Regarding.Name);
        Assert.Equal("ManagedCluster", modern.Related.Kind);
        Assert.Equal("global", modern.Metadata.Annotations["cgu.openshift.io/event-type"]);

        var core = Assert.Single(await _hub.EventsAsync());
        Assert.Equal("ClusterGroupUpgrade cgu: cluster spoke1 upgrade started", core.Message);
        Assert.Equal("ClusterGroupUpgrade", core.ReportingComponent);
        Assert.Equal("cgu", core.InvolvedObject.Name);
        Assert.Equal("Normal", core.Type);
    }

    [Fact]
    public async Task The_same_event_sent_again_within_ten_minutes_is_written_once()
    {
        await _hub.NamespaceAsync(Hub.CguNs);
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T10:00:00Z"));
        var recorder = new EventRecorder(_hub.Client, "ClusterGroupUpgrade", "replica-0", clock, NullLogger.Instance);
        var subject = new EventSubject("ran.openshift.io/v1alpha1", "ClusterGroupUpgrade", Hub.CguNs, "cgu", "uid-1", null);
        await recorder.RecordAsync(subject, Event("started"), CancellationToken.None);
        await recorder.RecordAsync(subject, Event("started"), CancellationToken.None);
        await recorder.RecordAsync(subject, Event("another"), CancellationToken.None);
        Assert.Equal(2, (await _hub.EventsAsync()).Count);
        clock.Advance(EventRecorder.Repeat);
        await recorder.RecordAsync(subject, Event("started"), CancellationToken.None);
        Assert.Equal(3, (await _hub.EventsAsync()).Count);
    }
}
