using Microsoft.Extensions.Time.Testing;
using Talm.Operator.Queue;

namespace Talm.Operator.Tests;

public sealed class WorkQueueTests
{
    private static async Task<string?> NextAsync(WorkQueue queue, int ms = 2000)
    {
        using var cts = new CancellationTokenSource(ms);
        try { return await queue.GetAsync(cts.Token); }
        catch (OperationCanceledException) { return "<none>"; }
    }

    [Fact]
    public async Task A_key_added_twice_waits_once()
    {
        using var queue = new WorkQueue("t", new FakeTimeProvider());
        queue.Add("ns/a");
        queue.Add("ns/a");
        queue.Add("ns/b");
        Assert.Equal(2, queue.Depth);
        Assert.Equal("ns/a", await NextAsync(queue));
        Assert.Equal("ns/b", await NextAsync(queue));
        Assert.Equal("<none>", await NextAsync(queue, 100));
    }

    [Fact]
    public async Task A_key_in_process_is_not_handed_out_again_until_done()
    {
        using var queue = new WorkQueue("t", new FakeTimeProvider());
        queue.Add("k");
        Assert.Equal("k", await NextAsync(queue));
        queue.Add("k");
        queue.Add("k");
        Assert.Equal(0, queue.Depth);
        Assert.Equal("<none>", await NextAsync(queue, 100));
        queue.Done("k");
        Assert.Equal(1, queue.Depth);
        Assert.Equal("k", await NextAsync(queue));
        queue.Done("k");
        Assert.Equal("<none>", await NextAsync(queue, 100));
    }

    [Fact]
    public async Task AddAfter_waits_for_the_clock_and_the_earliest_schedule_wins()
    {
        var clock = new FakeTimeProvider();
        using var queue = new WorkQueue("t", clock);
        queue.AddAfter("k", TimeSpan.FromSeconds(30));
        queue.AddAfter("k", TimeSpan.FromSeconds(10));
        queue.AddAfter("k", TimeSpan.FromSeconds(20));
        Assert.Equal(1, queue.Delayed);
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, queue.Depth);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, queue.Depth);
        Assert.Equal(0, queue.Delayed);
        Assert.Equal("k", await NextAsync(queue));
        queue.Done("k");
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, queue.Depth); // the replaced schedules did not fire
    }

    [Fact]
    public async Task Failures_back_off_exponentially_per_key_and_Forget_resets()
    {
        var clock = new FakeTimeProvider();
        using var queue = new WorkQueue("t", clock, new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)));
        var expected = new[] { 1, 2, 4, 5, 5 };
        foreach (var seconds in expected)
        {
            queue.AddRateLimited("a");
            clock.Advance(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(0, queue.Depth);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(1, queue.Depth);
            Assert.Equal("a", await NextAsync(queue));
            queue.Done("a");
        }
        Assert.Equal(5, queue.Failures("a"));
        Assert.Equal(0, queue.Failures("b"));
        queue.Forget("a");
        queue.AddRateLimited("a");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, queue.Depth);
    }

    [Fact]
    public async Task ShutDown_releases_waiting_workers()
    {
        using var queue = new WorkQueue("t", new FakeTimeProvider());
        var waiting = queue.GetAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        queue.ShutDown();
        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        queue.Add("k");
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public async Task Many_workers_never_process_one_key_concurrently()
    {
        using var queue = new WorkQueue("t", TimeProvider.System);
        var inFlight = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var processed = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (await queue.GetAsync(stop.Token) is { } key)
            {
                if (inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1) Interlocked.Increment(ref overlaps);
                await Task.Yield();
                Thread.SpinWait(2000);
                inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
                Interlocked.Increment(ref processed);
                queue.Done(key);
            }
        })).ToArray();
        for (var i = 0; i < 2000; i++) queue.Add("k" + (i % 3));
        // On a loaded machine the workers may start late: wait for them rather than a fixed time.
        await Eventually.TrueAsync(() => Volatile.Read(ref processed) >= 3 && queue.Depth == 0, "the workers to drain the queue", 10);
        queue.ShutDown();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, overlaps);
        Assert.True(processed >= 3, $"processed {processed}");
        Assert.True(processed < 2000, $"deduplication should collapse adds, processed {processed}");
    }

    [Fact]
    public void Backoff_is_capped()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.Zero, backoff.DelayFor(0));
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.DelayFor(1));
        Assert.Equal(TimeSpan.FromMilliseconds(800), backoff.DelayFor(4));
        Assert.Equal(TimeSpan.FromMinutes(5), backoff.DelayFor(1000));
    }
}
