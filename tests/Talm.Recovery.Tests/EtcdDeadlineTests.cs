using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;

namespace Talm.Recovery.Tests;

/// <summary>
/// An etcd that accepts the connection and then never answers (issue 13, item 4): every call has a
/// deadline, so the backup fails within a bounded time, names the cause, and releases its lock.
/// </summary>
public sealed class EtcdDeadlineTests
{
    /// <summary>A real listening socket on loopback that accepts every connection and never sends a byte.</summary>
    private sealed class SilentServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _accepted = [];
        private readonly CancellationTokenSource _stop = new();

        public SilentServer()
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    lock (_accepted)
                    {
                        _accepted.Add(socket);
                    }
                }
            });
        }

        public Uri Url(string scheme) => new($"{scheme}://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

        public int Accepted
        {
            get
            {
                lock (_accepted)
                {
                    return _accepted.Count;
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_accepted)
            {
                _accepted.ForEach(s => s.Dispose());
            }
        }
    }

    [Theory]
    [InlineData("http")]
    [InlineData("https")]
    public async Task Every_call_to_a_silent_etcd_ends_at_its_deadline(string scheme)
    {
        using var silent = new SilentServer();
        using var client = new EtcdClient(new EtcdConnection { Endpoint = silent.Url(scheme), CallTimeout = TimeSpan.FromSeconds(1) });
        var clock = Stopwatch.StartNew();

        var status = await Bounded(() => client.StatusAsync());
        var get = await Bounded(() => client.GetAsync("/k"));
        var snapshot = await Bounded(() => client.SnapshotAsync(Path.Combine(Path.GetTempPath(), $"talm-silent-{Guid.NewGuid():N}.db")));

        Assert.True(silent.Accepted > 0, "the client never connected: the test would prove nothing");
        foreach (var error in new[] { status, get, snapshot })
        {
            Assert.Contains("did not answer within 1 s", error.Message, StringComparison.Ordinal);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_backup_against_a_silent_etcd_fails_in_bounded_time_and_releases_its_lock()
    {
        using var host = await TestHost.CreateAsync();
        using var silent = new SilentServer();
        var options = host.Options() with { Etcd = new EtcdConnection { Endpoint = silent.Url("http"), CallTimeout = TimeSpan.FromSeconds(2) } };
        var clock = Stopwatch.StartNew();

        var error = await Bounded(() => host.BackupAsync(options));

        Assert.Contains("did not answer within 2 s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");

        // The lock is free and nothing half-built is left: the next backup, with etcd reachable, succeeds.
        var outcome = await host.BackupAsync();
        Assert.Equal(BackupStatus.Completed, outcome.Status);
    }

    /// <summary>Awaits the call for at most a minute (the code under test must fail long before).</summary>
    private static async Task<EtcdException> Bounded(Func<Task> call)
    {
        var task = Task.Run(call);
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(finished == task, "the etcd call was still waiting after 60 s: it has no deadline");
        return await Assert.ThrowsAsync<EtcdException>(() => task);
    }
}
