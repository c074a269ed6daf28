using System.Diagnostics;
using Talm.Recovery.Etcd;

namespace Talm.Sandbox;

/// <summary>A real etcd server on free loopback ports over a given data directory; disposing stops it.</summary>
public sealed class EtcdProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _logPath;

    private EtcdProcess(Process process, Uri clientUrl, string logPath)
    {
        _process = process;
        ClientUrl = clientUrl;
        _logPath = logPath;
    }

    public Uri ClientUrl { get; }

    public EtcdConnection Connection => new() { Endpoint = ClientUrl };

    public static async Task<EtcdProcess> StartAsync(string dataDir, CancellationToken cancellationToken = default, string etcd = "etcd")
    {
        for (var attempt = 0; ; attempt++)
        {
            var client = FreePort.Next();
            var peer = FreePort.Next();
            var clientUrl = $"http://127.0.0.1:{client}";
            var peerUrl = $"http://127.0.0.1:{peer}";
            var logPath = Path.Combine(Path.GetTempPath(), $"talm-etcd-{client}.log");
            var info = new ProcessStartInfo(etcd)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var arg in (string[])[
                "--name", "sandbox", "--data-dir", dataDir,
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "sandbox=" + peerUrl, "--log-outputs", logPath, "--logger", "zap"])
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start etcd; is etcd-server installed?");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new EtcdProcess(process, new Uri(clientUrl), logPath);
            if (await server.WaitReadyAsync(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false))
            {
                return server;
            }

            var log = File.Exists(logPath) ? File.ReadAllText(logPath) : "";
            server.Dispose();
            if (attempt >= 2)
            {
                throw new InvalidOperationException($"etcd did not start on {clientUrl} over {dataDir}: {log[Math.Max(0, log.Length - 2000)..]}");
            }
        }
    }

    private async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        using var client = new EtcdClient(Connection);
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                return false;
            }

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

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            File.Delete(_logPath);
        }
        catch (IOException)
        {
        }
    }
}
