using System.Diagnostics;
using System.Globalization;

using Talm.Recovery.Platform;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Etcd;

/// <summary>
/// A real etcd, one member, on free loopback ports over a data directory: for <c>verify --deep</c> (the
/// restored snapshot), the sandbox hosts, the lab's spokes and the tests. Ready once it answers a status
/// call; a start that fails (a port taken in between, most often) is tried again on other ports.
/// Disposing kills it and waits for it to go.
/// </summary>
public sealed class LocalEtcd : IAsyncDisposable, IDisposable
{
    private readonly Process _process;

    private LocalEtcd(Process process, Uri clientUrl)
    {
        _process = process;
        ClientUrl = clientUrl;
    }

    public Uri ClientUrl { get; }

    public EtcdConnection Connection => new() { Endpoint = ClientUrl };

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts etcd and waits until it answers; throws <see cref="IOException"/> naming the log when it never does.</summary>
    public static async Task<LocalEtcd> StartAsync(string dataDir, LocalEtcdOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalEtcdOptions();
        for (var attempt = 1; ; attempt++)
        {
            var etcd = Launch(dataDir, options);
            bool ready;
            try
            {
                ready = await etcd.WaitReadyAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Interrupted while it starts: it must not outlive the caller.
                await etcd.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (ready)
            {
                return etcd;
            }

            await etcd.DisposeAsync().ConfigureAwait(false);
            if (attempt >= options.Attempts)
            {
                var where = options.LogFile is null ? "" : $"; see {options.LogFile}";
                throw new IOException($"{options.Binary} did not answer on loopback over {dataDir} within {options.StartTimeout.TotalSeconds:0} s ({attempt} attempts){where}");
            }
        }
    }

    private static LocalEtcd Launch(string dataDir, LocalEtcdOptions options)
    {
        var client = $"http://127.0.0.1:{LoopbackPort.Free()}";
        var peer = options.PeerUrl ?? $"http://127.0.0.1:{LoopbackPort.Free()}";
        var searchPath = Environment.GetEnvironmentVariable("PATH");
        var binary = ExecutableLookup.Find(options.Binary, searchPath)
            ?? throw new IOException($"cannot start {options.Binary}: {ExecutableLookup.NotFound(options.Binary, searchPath)} (scripts/setup.sh installs etcd)");
        var info = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        List<string> args =
        [
            "--name", options.Name, "--data-dir", dataDir,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"{options.Name}={peer}",
        ];
        if (options.QuotaBackendBytes is { } quota)
        {
            args.AddRange(["--quota-backend-bytes", quota.ToString(CultureInfo.InvariantCulture)]);
        }

        if (options.LogFile is not null)
        {
            args.AddRange(["--log-outputs", options.LogFile, "--logger", "zap"]);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // A node's ETCD_* / ETCDCTL_* variables would configure this etcd like the node's own.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("ETCD_", StringComparison.Ordinal) || k.StartsWith("ETCDCTL_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new IOException($"cannot start {options.Binary}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"cannot start {options.Binary}: {e.Message}; install etcd (scripts/setup.sh installs it)", e);
        }

        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new LocalEtcd(process, new Uri(client));
    }

    private async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new EtcdClient(new EtcdConnection { Endpoint = ClientUrl, CallTimeout = TimeSpan.FromSeconds(5) });
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !_process.HasExited)
        {
            try
            {
                await client.StatusAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (EtcdException)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        return false;
    }


    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // already gone, or stuck in the kernel: nothing more to do from here
        }

        _process.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
