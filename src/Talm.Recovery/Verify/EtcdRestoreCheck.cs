using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;
using Talm.Recovery.Processes;
using Talm.Recovery.Restore;

namespace Talm.Recovery.Verify;

/// <summary>
/// The heart of <c>verify --deep</c>: restores the backup's etcd snapshot into a temporary directory with the tool
/// the restore would use, starts a real etcd on loopback against it, and compares the revision and key count etcd
/// serves with the manifest's. The etcd process and the directory are removed whatever happens, interruption included.
/// </summary>
public sealed class EtcdRestoreCheck(EtcdRestoreCheckOptions options, Action<string> progress)
{
    private const string MemberName = "talm-verify";

    public async Task<DeepCheckResult> RunAsync(string backupRoot, BackupManifest manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var snapshot = Path.Combine(backupRoot, manifest.Etcd.SnapshotFile);
        EtcdRestoreTool tool;
        try
        {
            tool = EtcdRestoreTool.Find(EtcdRestoreMethod.Etcdctl, options.HostRoot, options.SearchPath);
        }
        catch (RestoreFailedException)
        {
            return DeepCheckResult.CannotCheck($"no etcdutl or etcdctl in {Path.Join(options.HostRoot, EtcdRestoreTool.StaticPodBin)} or on PATH to restore the snapshot with (the restore needs one too; see 'Which tool restores etcd' in docs/recovery.md)");
        }

        var etcd = FindEtcd();
        if (etcd is null)
        {
            return DeepCheckResult.CannotCheck($"no etcd binary in {Path.Join(options.HostRoot, EtcdRestoreTool.StaticPodBin)} or on PATH to start on the restored data (copy it out of the etcd image, as dl_etcdctl copies etcdctl)");
        }

        var size = new FileInfo(snapshot).Length;
        var needed = size + Headroom;
        var free = Posix.FreeBytes(options.TempParent);
        if (free < needed)
        {
            return DeepCheckResult.CannotCheck($"{options.TempParent} has {SpaceEstimate.Format(free)} free, the restored snapshot needs {SpaceEstimate.Format(needed)}; set TMPDIR to a directory with room");
        }

        var work = Path.Combine(options.TempParent, $"talm-verify-etcd-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(work);
        Posix.Chmod(work, 0x1C0);
        Process? server = null;
        try
        {
            var data = Path.Combine(work, "data");
            var peer = $"http://127.0.0.1:{FreePort()}";
            progress($"restoring the etcd snapshot ({SpaceEstimate.Format(size)}) into {work} with {tool.Path}");
            var started = Stopwatch.StartNew();
            using (Beat($"{tool.Name} snapshot restore", started))
            {
                await new ProcessRunner(environment: CleanEnvironment()).RunAsync(
                    tool.Path,
                    ["snapshot", "restore", snapshot, "--data-dir", data, "--name", MemberName, "--initial-cluster", $"{MemberName}={peer}", "--initial-advertise-peer-urls", peer],
                    cancellationToken).ConfigureAwait(false);
            }

            for (var attempt = 1; ; attempt++)
            {
                var client = new Uri($"http://127.0.0.1:{FreePort()}");
                progress($"starting {etcd} on {client} against the restored data");
                server = StartEtcd(etcd, data, client, peer);
                using var beat = Beat("etcd to answer", started);
                var answer = await WaitAnswerAsync(server, client, cancellationToken).ConfigureAwait(false);
                if (answer is { } facts)
                {
                    progress($"etcd answers: revision {facts.Revision}, {facts.Keys} keys");
                    return Compare(manifest, facts.Revision, facts.Keys);
                }

                Stop(server);
                server = null;
                if (attempt == 3)
                {
                    return DeepCheckResult.Differs($"etcd did not start on the restored snapshot within {StartTimeout.TotalSeconds:0} s (three attempts); the snapshot cannot be shown to restore");
                }
            }
        }
        catch (ProcessFailedException e)
        {
            return DeepCheckResult.Differs($"{tool.Name} snapshot restore failed: {e.Message}");
        }
        finally
        {
            if (server is not null)
            {
                Stop(server);
            }

            try
            {
                Directory.Delete(work, recursive: true);
                progress($"stopped the temporary etcd and removed {work}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                progress($"stopped the temporary etcd; could not remove {work} ({e.Message}): remove it by hand");
            }
        }
    }

    /// <summary>Room for etcd's write-ahead log (64 MiB preallocated) and its snapshot files beside the database.</summary>
    private const long Headroom = 256L << 20;

    private TimeSpan StartTimeout => options.StartTimeout;

    private static DeepCheckResult Compare(BackupManifest manifest, long revision, long keys)
    {
        if (revision != manifest.Etcd.Revision)
        {
            return DeepCheckResult.Differs($"{manifest.Etcd.SnapshotFile}: the restored etcd serves revision {revision}, the manifest says {manifest.Etcd.Revision}; the snapshot is not the one this backup recorded");
        }

        if (manifest.Etcd.KeyCount is not { } expected)
        {
            return DeepCheckResult.Matches($"etcd restored from the snapshot serves revision {revision} as the manifest says; {keys} keys, which cannot be compared: this backup (of an older talm) records no key count");
        }

        return keys == expected
            ? DeepCheckResult.Matches($"etcd restored from the snapshot serves revision {revision} and {keys} keys, as the manifest says")
            : DeepCheckResult.Differs($"{manifest.Etcd.SnapshotFile}: the restored etcd holds {keys} keys at revision {revision}, the manifest says {expected}; the snapshot is not the one this backup recorded");
    }

    private async Task<(long Revision, long Keys)?> WaitAnswerAsync(Process server, Uri client, CancellationToken cancellationToken)
    {
        using var etcd = new EtcdClient(new EtcdConnection { Endpoint = client, CallTimeout = TimeSpan.FromSeconds(5) });
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout && !server.HasExited)
        {
            try
            {
                var status = await etcd.StatusAsync(cancellationToken).ConfigureAwait(false);
                return (status.Revision, await etcd.CountAllAsync(0, cancellationToken).ConfigureAwait(false));
            }
            catch (EtcdException)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    private static Process StartEtcd(string etcd, string data, Uri client, string peer)
    {
        var info = new ProcessStartInfo(etcd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in (string[])[
            "--name", MemberName, "--data-dir", data,
            "--listen-client-urls", client.ToString().TrimEnd('/'), "--advertise-client-urls", client.ToString().TrimEnd('/'),
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"{MemberName}={peer}",
            // OpenShift's own quota: a database above etcd's 2 GiB default must still open.
            "--quota-backend-bytes", (8L << 30).ToString(CultureInfo.InvariantCulture)])
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in CleanEnvironment())
        {
            info.Environment.Remove(name);
        }

        var process = Process.Start(info) ?? throw new IOException($"cannot start {etcd}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(Process server)
    {
        try
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        server.Dispose();
    }

    /// <summary>The node's ETCD_* / ETCDCTL_* variables would configure the temporary etcd like the real one: none are passed on.</summary>
    private static Dictionary<string, string?> CleanEnvironment() =>
        Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("ETCD_", StringComparison.Ordinal) || k.StartsWith("ETCDCTL_", StringComparison.Ordinal))
            .ToDictionary(k => k, _ => (string?)null, StringComparer.Ordinal);

    private string? FindEtcd() =>
        new[] { Path.Join(options.HostRoot, EtcdRestoreTool.StaticPodBin, "etcd") }
            .Concat(options.SearchPath.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "etcd")))
            .FirstOrDefault(File.Exists);

    private ITimer Beat(string what, Stopwatch since) =>
        options.Time.CreateTimer(_ => progress($"  still waiting for {what}: {(int)since.Elapsed.TotalSeconds}s so far"), null, options.ProgressPeriod, options.ProgressPeriod);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed record EtcdRestoreCheckOptions
{
    /// <summary>Where the node's filesystem is: the etcd tools are looked for under it as the restore looks for them.</summary>
    public string HostRoot { get; init; } = "/";

    public required string SearchPath { get; init; }

    /// <summary>Where the temporary data directory is made (TMPDIR by default).</summary>
    public string TempParent { get; init; } = Path.GetTempPath();

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ProgressPeriod { get; init; } = TimeSpan.FromSeconds(5);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

public enum DeepCheckOutcome
{
    /// <summary>etcd started on the restored snapshot and serves what the manifest records.</summary>
    Matches,

    /// <summary>The snapshot does not restore, or restores to something other than what the manifest records.</summary>
    Differs,

    /// <summary>This machine lacks what the check needs (a tool, room); nothing is known about the snapshot.</summary>
    CannotCheck,
}

public sealed record DeepCheckResult(DeepCheckOutcome Outcome, string Message)
{
    public static DeepCheckResult Matches(string message) => new(DeepCheckOutcome.Matches, message);

    public static DeepCheckResult Differs(string message) => new(DeepCheckOutcome.Differs, message);

    public static DeepCheckResult CannotCheck(string message) => new(DeepCheckOutcome.CannotCheck, message);
}
