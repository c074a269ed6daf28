using System.Diagnostics;
using System.Globalization;
using Talm.Recovery.Etcd;
using Talm.Recovery.Processes;
using Talm.Sandbox;

namespace Talm.Lab.Spokes;

/// <summary>
/// A spoke's etcd started over its /var/lib/etcd (talm's one local etcd launcher) for checking a recovered
/// spoke's data while its node is down; its pid is recorded so that a later 'lab recover' can stop it as a reboot would.
/// </summary>
public sealed class SpokeEtcd : IAsyncDisposable
{
    private readonly LocalEtcd _etcd;
    private readonly string? _pidFile;

    private SpokeEtcd(LocalEtcd etcd, string? pidFile)
    {
        _etcd = etcd;
        _pidFile = pidFile;
    }

    public Uri Url => _etcd.ClientUrl;

    /// <summary>This machine's etcdctl against this etcd.</summary>
    public Etcdctl Etcdctl => (args, ct) => new ProcessRunner(environment: new Dictionary<string, string?> { ["ETCDCTL_API"] = "3" })
        .TryRunAsync("etcdctl", ["--endpoints", Url.ToString().TrimEnd('/'), .. args], ct);

    public static async Task<SpokeEtcd> StartAsync(string dataDir, string logFile, CancellationToken ct, string? pidFile = null)
    {
        var etcd = await LocalEtcd.StartAsync(dataDir, new LocalEtcdOptions { Name = SandboxEtcd.MemberName, LogFile = logFile }, ct);
        if (pidFile is not null)
            await File.WriteAllTextAsync(pidFile, etcd.ProcessId.ToString(CultureInfo.InvariantCulture), ct);
        return new SpokeEtcd(etcd, pidFile);
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
        await _etcd.DisposeAsync();
        if (_pidFile is not null) File.Delete(_pidFile);
    }
}
