using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Talm.Recovery.Backup;
using Talm.Recovery.Host;

namespace Talm.Bench.Backup;

/// <summary>One timed run: its wall time, the reference's sync (timed apart), talm's peak memory and phase timings, the load as it started.</summary>
internal sealed record Run(TimeSpan Elapsed, TimeSpan Sync, long PeakRss, string? Phases, string? Copied)
{
    /// <summary>The reference's <c>etcdctl snapshot save</c> alone (part of <see cref="Elapsed"/>): every backup takes a full snapshot, so no backup is faster.</summary>
    public TimeSpan Snapshot { get; init; }

    public double Load { get; init; }

    public double Seconds => Elapsed.TotalSeconds;

    /// <summary>The reference's commands and its sync: the time to a durable copy.</summary>
    public double DurableSeconds => (Elapsed + Sync).TotalSeconds;
}

/// <summary>The two methods, and what every timed run starts from.</summary>
internal static partial class Runs
{
    /// <summary>
    /// Everything written so far on disk (so nobody's writeback lands in the next timed run) and the
    /// page cache, dentries and inodes dropped, for both cache states: the memory the next run writes
    /// into is then the memory just freed, not memory the VM's host took back, whose first touch costs
    /// more than the copy itself (README, "The memory the copy writes into"). Cold: /var/lib/kubelet on a
    /// node is mostly not cached when the backup starts. Warm: the host's trees and etcd database are
    /// read back in, and the names under <paramref name="output"/> (a previous backup) looked up again.
    /// Returns the 1-minute load average as the run starts.
    /// </summary>
    public static async Task<double> SettleAsync(bool warm, string host, string? output = null)
    {
        await Exec("sync", []);
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "3");
        if (warm)
        {
            HostFiles.Warm(host);
            if (output is not null)
            {
                HostFiles.WarmNames(output);
            }
        }

        return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Moves a previous output out of the way without deleting it: on ext4 without a journal, inodes
    /// freed in the last minutes make every inode allocation scan past them, so an <c>rm -rf</c> of one
    /// backup before the next timed run would slow whichever method runs next (both, in turn). The
    /// trash is removed once the benchmark is over.
    /// </summary>
    public static void Discard(string path, string trash)
    {
        if (Directory.Exists(path))
        {
            Directory.CreateDirectory(trash);
            Directory.Move(path, Path.Combine(trash, Guid.NewGuid().ToString("N")));
        }
    }

    /// <summary>The reference's commands (the TALM recovery image's), timed; then, timed apart, the sync that makes its copy durable.</summary>
    public static async Task<Run> ReferenceAsync(string host, string dir, Uri etcd)
    {
        var revisions = StaticPodRevisions.CurrentRevisionDirs(new HostPaths(host));
        var extras = ExtraFiles.Find(new HostPaths(host)).Select(p => p.TrimStart('/'));
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(Path.Combine(dir, "cluster"));
        await Exec("etcdctl", ["--endpoints", etcd.ToString(), "snapshot", "save", Path.Combine(dir, "cluster/snapshot.db")], ("ETCDCTL_API", "3"));
        var snapshot = clock.Elapsed;
        await Exec("tar", ["-czf", Path.Combine(dir, "cluster/static_kuberesources.tar.gz"), "-C", Path.Combine(host, "etc/kubernetes"), .. revisions]);
        await Exec("cp", ["-Ra", Path.Combine(host, "etc"), Path.Combine(dir, "etc")]);
        await Exec("cp", ["-Ra", Path.Combine(host, "usr/local"), Path.Combine(dir, "local")]);
        await Exec("cp", ["-Ra", Path.Combine(host, "var/lib/kubelet"), Path.Combine(dir, "kubelet")]);
        await Exec("tar", ["-czf", Path.Combine(dir, "extras.tgz"), "-C", host, .. extras]);
        var commands = clock.Elapsed;
        clock.Restart();
        await Exec("sync", []);
        return new Run(commands, clock.Elapsed, 0, null, null) { Snapshot = snapshot };
    }

    /// <summary>
    /// <c>talm-recovery recovery backup --verbose</c> (or <c>dotnet talm.dll ...</c> when <paramref name="talm"/> is a .dll)
    /// as a child process, timed to its exit (its backup durable and committed).
    /// </summary>
    public static async Task<Run> TalmAsync(string talm, string host, string dir, Uri etcd, IEnumerable<string> extra, string log)
    {
        var clock = Stopwatch.StartNew();
        var dll = talm.EndsWith(".dll", StringComparison.Ordinal);
        var info = new ProcessStartInfo(dll ? "dotnet" : talm) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[.. dll ? [talm] : Array.Empty<string>(), "recovery", "backup", "--host-root", host, "--dir", dir, "--etcd-endpoint", etcd.ToString(), "--space-margin", "0", "--verbose", .. extra])
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        while (!process.HasExited)
        {
            peak = Math.Max(peak, PeakRss(process.Id));
            await Task.Delay(20);
        }

        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed;
        var error = await stderr;
        await File.WriteAllTextAsync(log, error + await stdout);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"talm backup failed ({process.ExitCode}), see {log}");
        }

        string? After(string marker) => error.Split('\n').LastOrDefault(l => l.Contains(marker, StringComparison.Ordinal)) is { } line ? line[line.IndexOf(marker, StringComparison.Ordinal)..].Trim() : null;
        var copied = After("Copied ");
        return new Run(elapsed, TimeSpan.Zero, peak, After("Phase timings"), copied is null ? null : CopiedCounts().Match(copied).Value);
    }

    public static async Task Exec(string file, string[] arguments, params (string Key, string Value)[] environment)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {await stderr}");
        }
    }

    // VmHWM: the process's peak resident set so far.
    private static long PeakRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    [GeneratedRegex(@"\d+ reused.*?(?=\))")]
    private static partial Regex CopiedCounts();
}
