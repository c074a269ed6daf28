using System.Diagnostics;
using System.Globalization;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Host;
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
            tool = EtcdRestoreTool.Find(EtcdRestoreMethod.Etcdctl, options.Host, options.SearchPath);
        }
        catch (RestoreFailedException)
        {
            return DeepCheckResult.CannotCheck($"no etcdutl or etcdctl in {options.Host.StaticPodBin} or on PATH to restore the snapshot with (the restore needs one too; see 'Which tool restores etcd' in docs/recovery.md)");
        }

        var etcd = FindEtcd();
        if (etcd is null)
        {
            return DeepCheckResult.CannotCheck($"no etcd binary in {options.Host.StaticPodBin} or on PATH to start on the restored data (copy it out of the etcd image, as dl_etcdctl copies etcdctl)");
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
        Posix.Chmod(work, FileModes.OwnerOnly);
        LocalEtcd? server = null;
        try
        {
            var data = Path.Combine(work, "data");
            var peer = $"http://127.0.0.1:{LoopbackPort.Free()}";
            progress($"restoring the etcd snapshot ({SpaceEstimate.Format(size)}) into {work} with {tool.Path}");
            var started = Stopwatch.StartNew();
            using (Beat($"{tool.Name} snapshot restore", started))
            {
                await new ProcessRunner(environment: CleanEnvironment()).RunAsync(
                    tool.Path,
                    ["snapshot", "restore", snapshot, "--data-dir", data, "--name", MemberName, "--initial-cluster", $"{MemberName}={peer}", "--initial-advertise-peer-urls", peer],
                    cancellationToken).ConfigureAwait(false);
            }

            progress($"starting {etcd} on loopback against the restored data");
            try
            {
                using (Beat("etcd to answer", started))
                {
                    server = await LocalEtcd.StartAsync(
                        data,
                        new LocalEtcdOptions { Binary = etcd, Name = MemberName, PeerUrl = peer, QuotaBackendBytes = QuotaBackendBytes, StartTimeout = StartTimeout },
                        cancellationToken).ConfigureAwait(false);
                }
            }
            catch (IOException e)
            {
                return DeepCheckResult.Differs($"etcd did not start on the restored snapshot ({e.Message}); the snapshot cannot be shown to restore");
            }

            using var client = new EtcdClient(server.Connection with { CallTimeout = TimeSpan.FromSeconds(5) });
            var revision = (await client.StatusAsync(cancellationToken).ConfigureAwait(false)).Revision;
            var keys = await client.CountAllAsync(0, cancellationToken).ConfigureAwait(false);
            progress($"etcd answers on {server.ClientUrl}: revision {revision}, {keys} keys");
            return Compare(manifest, revision, keys);
        }
        catch (ProcessFailedException e)
        {
            return DeepCheckResult.Differs($"{tool.Name} snapshot restore failed: {e.Message}");
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
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

    /// <summary>OpenShift's own quota: a database above etcd's 2 GiB default must still open.</summary>
    private const long QuotaBackendBytes = 8L << 30;

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


    /// <summary>The node's ETCD_* / ETCDCTL_* variables would configure the temporary etcd like the real one: none are passed on.</summary>
    private static Dictionary<string, string?> CleanEnvironment() =>
        Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("ETCD_", StringComparison.Ordinal) || k.StartsWith("ETCDCTL_", StringComparison.Ordinal))
            .ToDictionary(k => k, _ => (string?)null, StringComparer.Ordinal);

    private string? FindEtcd() =>
        new[] { Path.Join(options.Host.StaticPodBin, "etcd") }
            .Concat(options.SearchPath.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "etcd")))
            .FirstOrDefault(File.Exists);

    private ITimer Beat(string what, Stopwatch since) =>
        options.Time.CreateTimer(_ => progress($"  still waiting for {what}: {(int)since.Elapsed.TotalSeconds}s so far"), null, options.ProgressPeriod, options.ProgressPeriod);

}

public sealed record EtcdRestoreCheckOptions
{
    /// <summary>Where the node's filesystem is: the etcd tools are looked for under it as the restore looks for them.</summary>
    public string HostRoot { get; init; } = "/";

    /// <summary>Where things are under <see cref="HostRoot"/>.</summary>
    public HostPaths Host => new(HostRoot);

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
