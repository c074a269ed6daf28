using System.Diagnostics;
using System.Text.Json.Nodes;
using Talm.Operator.Kube;
using Talm.Operator.Queue;

namespace Talm.Operator.Tests;

/// <summary>
/// The lab API server (<c>talm lab serve</c>, a process of its own) is killed with SIGKILL and started again
/// under a running operator, with its data directory and without it; every CGU must still run to its end.
/// </summary>
public sealed class SoakTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Step(string what)
    {
        output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1}s {what}");
        File.AppendAllText(Path.Combine(_dir, "log"), $"{DateTime.UtcNow:HH:mm:ss.fff} test: {what}\n");
    }

    private static readonly string[] Spokes = ["spoke1", "spoke2", "spoke3"];
    private readonly string _dir = Directory.CreateTempSubdirectory("talm-soak-").FullName;
    private readonly int _port = LoopbackPort.Free();
    private Process? _server;
    private Hub _hub = null!;

    private string Kubeconfig => Path.Combine(_dir, "kubeconfig");
    private string Data => Path.Combine(_dir, "data");

    /// <summary>Everything the operator and the servers said, for the failure message.</summary>
    private sealed class LogFile(string path) : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        private readonly object _gate = new();

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_gate) File.AppendAllText(path, $"{DateTime.UtcNow:HH:mm:ss.fff} operator {logLevel}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}\n");
        }

        public void Dispose()
        {
        }
    }

    private string LogPath => Path.Combine(_dir, "log");

    public async Task InitializeAsync()
    {
        Step("start");
        await StartServerAsync(keepData: true);
        Step("started");
        _hub = Hub.Connect(Kubeconfig);
        await SeedAsync();
        await _hub.StartOperatorAsync(Hub.Options() with
        {
            Informers = new InformerOptions { RetryMin = TimeSpan.FromMilliseconds(100), RetryMax = TimeSpan.FromMilliseconds(400) },
            Backoff = new Backoff(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(400)),
        }, logs: new Microsoft.Extensions.Logging.LoggerFactory([new LogFile(LogPath)]),
            // Real time: retries after a failed reconcile (the server was down) are scheduled on it.
            time: TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        Kill();
        // What the operator and the servers said last, shown with the test's result.
        foreach (var log in new[] { LogPath, LogPath + ".server" }.Where(File.Exists))
            foreach (var line in File.ReadLines(log).TakeLast(60)) output.WriteLine(line);
        Directory.Delete(_dir, recursive: true);
    }

    private async Task StartServerAsync(bool keepData)
    {
        var crds = Directory.GetFiles(Path.Combine(Hub.RepoRoot, "deploy", "crds"), "*.yaml")
            .Concat(Directory.GetFiles(Path.Combine(Hub.RepoRoot, "deploy", "lab-crds"), "*.yaml"));
        var info = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "talm.dll"), "lab", "serve", "--listen", $"127.0.0.1:{_port}", "--kubeconfig", Kubeconfig })
            info.ArgumentList.Add(a);
        if (keepData)
        {
            info.ArgumentList.Add("--data");
            info.ArgumentList.Add(Data);
        }
        info.ArgumentList.Add("--load");
        foreach (var crd in crds) info.ArgumentList.Add(crd);
        _server = Process.Start(info)!;
        var seen = new List<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await _server.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            seen.Add(line);
            if (line.StartsWith("serving ", StringComparison.Ordinal)) break;
        }
        Assert.True(seen.Count > 0 && seen[^1].StartsWith("serving ", StringComparison.Ordinal), $"talm lab serve did not start: {string.Join(" | ", seen)}");
        // Keep the pipes drained so the server never blocks writing to them.
        _ = _server.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var server = _server;
        _ = Task.Run(async () =>
        {
            while (await server.StandardError.ReadLineAsync() is { } line) File.AppendAllText(LogPath + ".server", $"{DateTime.UtcNow:HH:mm:ss.fff} server: {line}\n");
        });
    }

    private void Kill()
    {
        if (_server is null) return;
        _server.Kill(); // SIGKILL: no clean stop, no compaction of the log
        _server.WaitForExit();
        _server.Dispose();
        _server = null;
    }

    private async Task RestartAsync(bool keepData)
    {
        Step("kill");
        Kill();
        Step($"start (keepData: {keepData})");
        await StartServerAsync(keepData);
        Step("started");
    }

    /// <summary>What a GitOps pipeline and RHACM put on the hub: the namespaces, the clusters and a policy none complies with.</summary>
    private async Task SeedAsync()
    {
        await _hub.NamespaceAsync(Hub.PolicyNs);
        await _hub.NamespaceAsync(Hub.CguNs);
        foreach (var c in Spokes) await _hub.ClusterAsync(c);
        await _hub.PolicyAsync("upgrade", Spokes.ToDictionary(c => c, _ => "NonCompliant"));
    }

    private static JsonObject Spec() => new()
    {
        ["clusters"] = Hub.Arr(Spokes),
        ["managedPolicies"] = Hub.Arr("upgrade"),
        ["enable"] = true,
        ["remediationStrategy"] = new JsonObject { ["maxConcurrency"] = 3, ["timeout"] = 240 },
    };

    private async Task InProgressAsync(string cgu)
    {
        await _hub.WaitCguAsync(cgu, c => Hub.Condition(c, "Progressing") is ("True", "InProgress", _), "in progress", seconds: 30);
        Step($"{cgu} in progress");
    }

    private async Task CompleteAsync(string cgu)
    {
        await Eventually.TrueAsync(() => _hub.PlacementClustersAsync(cgu, "upgrade").Result == string.Join(',', Spokes), $"{cgu}'s placement");
        await _hub.SetComplianceAsync("upgrade", Spokes.ToDictionary(c => c, _ => "Compliant"));
        await _hub.WaitCguAsync(cgu, c => Hub.Condition(c, "Succeeded") is ("True", "Completed", _), "succeeded", seconds: 30);
        Step($"{cgu} succeeded");
    }

    [Fact]
    public async Task Every_cgu_runs_to_its_end_while_the_api_server_is_killed_and_restarted_with_and_without_its_data()
    {
        // Killed while a CGU is in progress; back with its data: the CGU finishes.
        await _hub.CguAsync("first", Spec());
        await InProgressAsync("first");
        await RestartAsync(keepData: true);
        await CompleteAsync("first");

        // Killed right after a write the operator may not have seen yet, and again mid-rollout.
        await _hub.SetComplianceAsync("upgrade", Spokes.ToDictionary(c => c, _ => "NonCompliant"));
        await _hub.CguAsync("second", Spec());
        await RestartAsync(keepData: true);
        await InProgressAsync("second");
        await RestartAsync(keepData: true);
        await CompleteAsync("second");
        await _hub.WaitCguAsync("first", c => Hub.Condition(c, "Succeeded") is ("True", "Completed", _), "first still succeeded after the restarts");

        // Back without its data, twice: everything is gone, applied again, and the operator (which has
        // versions the new server never reached) must see it and run the new CGU to its end.
        foreach (var name in new[] { "third", "fourth" })
        {
            var lists = _hub.Operator.Caches.Informers.Select(i => i.Lists).ToList();
            await RestartAsync(keepData: false);
            // The state is applied again once the operator has listed the new server (as a pipeline would after
            // the hub is back): a CGU decided on caches from before the loss would see the old compliance.
            // A kind this server does not serve (ManifestWorks here) has nothing to list; it is looked for again later.
            await Eventually.TrueAsync(() => _hub.Operator.Caches.Informers.Select((i, n) => i.Lists > lists[n] || i.Kind.Optional).All(x => x),
                "every informer to list the new server", seconds: 30);
            await SeedAsync();
            await _hub.CguAsync(name, Spec());
            await InProgressAsync(name);
            await CompleteAsync(name);
            Assert.Equal([name], await _hub.NamesAsync(WatchedKind.ClusterGroupUpgrade, Hub.CguNs));
        }
    }
}
