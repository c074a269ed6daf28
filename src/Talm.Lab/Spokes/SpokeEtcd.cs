using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Talm.Lab.Spokes;

/// <summary>A real etcd on free loopback ports over a spoke's /var/lib/etcd: for checking a recovered spoke's data (its node is down).</summary>
public sealed class SpokeEtcd : IAsyncDisposable
{
    private readonly Process _process;
    private string? _pidFile;

    private SpokeEtcd(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>This machine's etcdctl against this etcd.</summary>
    public Etcdctl Etcdctl => (args, ct) => ChildProcess.RunAsync("etcdctl", ["--endpoints", Url.ToString().TrimEnd('/'), .. args], ct,
        new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });

    public static async Task<SpokeEtcd> StartAsync(string dataDir, string logFile, CancellationToken ct, string? pidFile = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var client = $"http://127.0.0.1:{FreePort()}";
            var peer = $"http://127.0.0.1:{FreePort()}";
            var info = new ProcessStartInfo("etcd") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in (string[])["--name", "sandbox", "--data-dir", dataDir, "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "sandbox=" + peer,
                "--log-outputs", logFile, "--logger", "zap"])
                info.ArgumentList.Add(a);
            var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start etcd; install etcd-server (scripts/setup.sh)");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var etcd = new SpokeEtcd(process, new Uri(client));
            for (var i = 0; i < 100 && !process.HasExited; i++)
            {
                var r = await ChildProcess.RunAsync("etcdctl", ["--endpoints", client, "--command-timeout=1s", "endpoint", "health"], ct,
                    new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
                if (r.ExitCode == 0)
                {
                    if (pidFile is not null) await File.WriteAllTextAsync(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
                    etcd._pidFile = pidFile;
                    return etcd;
                }
                await Task.Delay(100, ct);
            }
            await etcd.DisposeAsync();
            if (attempt >= 2)
                throw new InvalidOperationException($"etcd over {dataDir} did not become healthy; see {logFile}");
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Stops an etcd left running by another process (its pid file), as a reboot would.</summary>
    public static async Task StopRecordedAsync(string pidFile)
    {
        if (!File.Exists(pidFile)) return;
        if (int.TryParse(await File.ReadAllTextAsync(pidFile), out var pid))
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                if (p.ProcessName == "etcd")
                {
                    p.Kill();
                    await p.WaitForExitAsync();
                }
            }
            catch (ArgumentException)
            {
            }
        }
        File.Delete(pidFile);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        if (_pidFile is not null) File.Delete(_pidFile);
    }
}
