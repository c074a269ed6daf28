using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Talm.Operator.Events;

namespace Talm.Operator.Tests;

public sealed class EventRecorderTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync() => _hub = await Hub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Events_written_side_by_side_in_one_clock_tick_are_all_kept()
    {
        await _hub.NamespaceAsync(Hub.CguNs);
        // A clock that never moves: every event is written in the same tick.
        var recorder = new EventRecorder(_hub.Client, "test", "test-0", new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T10:00:00Z")), NullLogger.Instance);
        var subject = new EventSubject("ran.openshift.io/v1alpha1", "ClusterGroupUpgrade", Hub.CguNs, "cgu", null);
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, ct) => await recorder.RecordAsync(subject, EventRecorder.Normal, "BackupFinished", $"cluster {i}", ct));
        var messages = (await _hub.EventsAsync()).Select(e => e.Message).ToHashSet();
        Assert.Equal(300, messages.Count);
    }
}
