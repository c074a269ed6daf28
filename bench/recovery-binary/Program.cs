using System.Diagnostics;
using System.Globalization;
using Talm.Recovery.Layout;
using Talm.Sandbox;

namespace Talm.Bench.RecoveryBinary;

/// <summary>
/// talm-recovery (the spoke agent alone: self-contained, trimmed, one file) against the whole talm published the same
/// way as far as it can be (self-contained, one file; the hub side is not trimmed), as the recovery image carried it
/// before: size on disk, start-up time of <c>--help</c> and of <c>recovery status</c> on an empty host (median of N
/// runs, the two programs taking turns), then one real backup and verify with each on a sandbox host with its etcd.
/// Prints the ratios talm-recovery/talm.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var repo = Arg(args, "--repo") ?? FindRepo();
        var runs = int.Parse(Arg(args, "--runs") ?? "21", CultureInfo.InvariantCulture);
        var work = Arg(args, "--work") ?? "/tmp/talm-bench-recovery-binary";
        var agent = Path.Combine(repo, "artifacts/recovery/linux-x64/talm-recovery");
        var full = Path.Combine(repo, "artifacts/bench-cli/linux-x64/talm");
        if (!args.Contains("--no-publish"))
        {
            Say("publishing talm-recovery (scripts/publish-recovery.sh)");
            Run("bash", Path.Combine(repo, "scripts/publish-recovery.sh"));
            Say("publishing talm the same way (self-contained, single file; as deploy/Containerfile.operator)");
            Run("dotnet", "publish", Path.Combine(repo, "src/Talm.Cli/Talm.Cli.csproj"), "-c", "Release", "-r", "linux-x64", "--self-contained",
                "-p:PublishSingleFile=true", "-p:InvariantGlobalization=true", "-o", Path.GetDirectoryName(full)!, "--nologo", "-v", "quiet");
            foreach (var pdb in Directory.EnumerateFiles(Path.GetDirectoryName(full)!, "*.pdb"))
            {
                File.Delete(pdb);
            }
        }

        Reset(work);
        var emptyHost = Directory.CreateDirectory(Path.Combine(work, "empty-host")).FullName;
        var emptyBackups = Directory.CreateDirectory(Path.Combine(work, "empty-recovery")).FullName;

        var agentSize = DirectorySize(Path.GetDirectoryName(agent)!);
        var fullSize = DirectorySize(Path.GetDirectoryName(full)!);
        Say($"size on disk: talm-recovery {Mb(agentSize)} MB, talm {Mb(fullSize)} MB, ratio {agentSize / (double)fullSize:0.00}");

        string[] status = ["recovery", "status", "--host-root", emptyHost, "--dir", emptyBackups];
        foreach (var (name, commandArgs, expected) in new[] { ("--help", new[] { "--help" }, 0), ("recovery status (empty host)", status, 1) })
        {
            // Warm the page cache and the single-file bundles' first-run work for both before timing.
            Time(agent, commandArgs, expected);
            Time(full, commandArgs, expected);
            var agentTimes = new List<double>();
            var fullTimes = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                agentTimes.Add(Time(agent, commandArgs, expected));
                fullTimes.Add(Time(full, commandArgs, expected));
            }

            var a = Median(agentTimes);
            var f = Median(fullTimes);
            Say($"start-up, {name}, median of {runs}: talm-recovery {a:0.0} ms, talm {f:0.0} ms, ratio {a / f:0.00}");
        }

        // A real backup with each: the trimmed agent must do everything the whole talm does (etcd over gRPC, manifest JSON).
        var host = Path.Combine(work, "host");
        await new SandboxHost(host, SandboxProfile.Small, 11).CreateAsync().ConfigureAwait(false);
        using var etcd = await SandboxEtcd.StartAsync(Path.Combine(host, "var/lib/etcd")).ConfigureAwait(false);
        foreach (var (name, program) in new[] { ("talm-recovery", agent), ("talm", full) })
        {
            var dir = Path.Combine(work, "recovery-" + name);
            var clock = Stopwatch.StartNew();
            Run(program, "recovery", "backup", "--host-root", host, "--dir", dir, "--etcd-endpoint", etcd.ClientUrl.ToString(), "--space-margin", "0");
            var took = clock.Elapsed;
            Run(program, "recovery", "verify", "--dir", dir);
            var carried = Path.Combine(new BackupDirectory(dir).Bin, Path.GetFileName(program));
            if (!File.Exists(carried))
            {
                throw new InvalidOperationException($"{name}'s backup does not carry {carried}");
            }

            Say($"backup and verify with {name}: ok in {took.TotalSeconds:0.0} s; its bin/ holds {Mb(new FileInfo(carried).Length)} MB");
        }

        SandboxHost.Delete(host);
        return 0;
    }

    /// <summary>Milliseconds from start to exit of one run; the exit code must be the expected one.</summary>
    private static double Time(string program, string[] args, int expected)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        var ms = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != expected)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}, expected {expected}");
        }

        return ms;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static long DirectorySize(string dir) => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture);

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {output.Result}{error}");
        }
    }

    private static void Reset(string work)
    {
        if (Directory.Exists(work))
        {
            SandboxHost.Delete(work);
        }

        Directory.CreateDirectory(work);
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Talm.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("run from inside the repository, or pass --repo DIR");
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static void Say(string line) => Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
}
