using System.Diagnostics;
using System.Globalization;
using Talm.Recovery.Backup;
using Talm.Recovery.Platform;
using Talm.Sandbox;

// bench/backup: the reference backup (etcdctl snapshot save, tar czf of the static pod revisions,
// cp -Ra of /etc, /usr/local and /var/lib/kubelet, tar czf of the extras) against
// `talm recovery backup`, on a `typical` sandbox host; then both again after 5% of the files changed.
var work = args.Length > 0 ? args[0] : "/var/tmp/talm-bench";
var hostRoot = Path.Combine(work, "host");
Directory.CreateDirectory(work);
var talm = Path.Combine(AppContext.BaseDirectory, "talm.dll");

if (!File.Exists(Path.Combine(hostRoot, SandboxSeed.FileName)))
{
    SandboxHost.Delete(hostRoot);
    var made = Stopwatch.StartNew();
    Console.WriteLine($"making a typical host in {hostRoot} (once; kept for later runs)...");
    await new SandboxHost(hostRoot, SandboxProfile.Typical, seed: 42).CreateAsync();
    Console.WriteLine($"  made in {made.Elapsed.TotalSeconds:0.0} s");
}

var (files, bytes) = Census(hostRoot, ["etc", "usr/local", "var/lib/kubelet"]);
var etcdDb = new FileInfo(Path.Combine(hostRoot, "var/lib/etcd/member/snap/db")).Length;
Console.WriteLine($"host: {files} files, {Gib(bytes)} in /etc + /usr/local + /var/lib/kubelet; etcd db {Gib(etcdDb)}");

using var etcd = await EtcdProcess.StartAsync(Path.Combine(hostRoot, "var/lib/etcd"));
var referenceDir = Path.Combine(work, "reference");
var talmDir = Path.Combine(work, "recovery");
Remove(referenceDir);
Remove(talmDir);

var (reference1, referenceSync1) = await Reference(hostRoot, referenceDir, etcd.ClientUrl);
var (talm1, peak1, output1) = await Talm(talm, hostRoot, talmDir, etcd.ClientUrl);
Report("first backup: ", reference1, referenceSync1, talm1, peak1, output1, 0.5);

var changed = ChangeFiles(hostRoot, ["etc", "usr/local", "var/lib/kubelet"], 0.05);
Console.WriteLine($"changed {changed.Files} files ({Gib(changed.Bytes)}), 5% of the files");
// The reference empties /var/recovery first (rm -rf of the previous backup): that is part of its run.
var (reference2, referenceSync2) = await Reference(hostRoot, referenceDir, etcd.ClientUrl);
var (talm2, peak2, output2) = await Talm(talm, hostRoot, talmDir, etcd.ClientUrl);
Report("second backup:", reference2, referenceSync2, talm2, peak2, output2, 0.2);
Console.WriteLine($"peak memory: {Math.Max(peak1, peak2) / (1 << 20)} MiB (target < 200 MiB)");
Remove(referenceDir);
return 0;

static void Report(string label, TimeSpan reference, TimeSpan referenceSync, TimeSpan talm, long peak, string output, double target)
{
    Console.WriteLine($"{label} reference {reference.TotalSeconds,6:0.00} s (+ sync {referenceSync.TotalSeconds,6:0.00} s)   talm {talm.TotalSeconds,6:0.00} s (durable)   " +
        $"ratio {talm / reference:0.000} vs reference, {talm / (reference + referenceSync):0.000} vs reference+sync (target <= {target})   talm peak RSS {peak / (1 << 20)} MiB");
    Console.WriteLine($"  talm: {output}");
}

// The reference's commands, timed; then (timed apart) the sync that makes its copy durable, which
// also keeps its dirty pages from being flushed during talm's run.
static async Task<(TimeSpan Commands, TimeSpan Sync)> Reference(string host, string dir, Uri etcd)
{
    var revisions = StaticPodRevisions.CurrentRevisionDirs(new HostPaths(host));
    var extras = ExtraFiles.Find(new HostPaths(host)).Select(p => p.TrimStart('/'));
    var clock = Stopwatch.StartNew();
    if (Directory.Exists(dir))
    {
        await Run("rm", ["-rf", dir]);
    }

    Directory.CreateDirectory(Path.Combine(dir, "cluster"));
    await Run("etcdctl", ["--endpoints", etcd.ToString(), "snapshot", "save", Path.Combine(dir, "cluster/snapshot.db")], ("ETCDCTL_API", "3"));
    await Run("tar", ["-czf", Path.Combine(dir, "cluster/static_kuberesources.tar.gz"), "-C", Path.Combine(host, "etc/kubernetes"), .. revisions]);
    await Run("cp", ["-Ra", Path.Combine(host, "etc"), Path.Combine(dir, "etc")]);
    await Run("cp", ["-Ra", Path.Combine(host, "usr/local"), Path.Combine(dir, "local")]);
    await Run("cp", ["-Ra", Path.Combine(host, "var/lib/kubelet"), Path.Combine(dir, "kubelet")]);
    await Run("tar", ["-czf", Path.Combine(dir, "extras.tgz"), "-C", host, .. extras]);
    var commands = clock.Elapsed;
    clock.Restart();
    await Run("sync", []);
    return (commands, clock.Elapsed);
}

static async Task<(TimeSpan Elapsed, long PeakRss, string Output)> Talm(string talm, string host, string dir, Uri etcd)
{
    var clock = Stopwatch.StartNew();
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in (string[])[talm, "recovery", "backup", "--host-root", host, "--dir", dir, "--etcd-endpoint", etcd.ToString(), "--space-margin", "0"])
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
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"talm backup failed ({process.ExitCode}): {await stderr}");
    }

    await File.WriteAllTextAsync(dir + $"-{DateTime.UtcNow:HHmmss}.log", await stderr);
    var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    return (elapsed, peak, lines.Length > 0 ? lines[^1] : "");
}

// VmHWM: the process's peak resident set so far.
static long PeakRss(int pid)
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

static async Task Run(string file, string[] arguments, params (string Key, string Value)[] environment)
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

static (long Files, long Bytes) Census(string root, string[] trees)
{
    long files = 0, bytes = 0;
    foreach (var file in trees.SelectMany(t => RegularFiles(Path.Combine(root, t))))
    {
        files++;
        bytes += Posix.LStat(file).Size;
    }

    return (files, bytes);
}

// Regular files under a directory, without following symlinks (kubelet volumes link ..data to a directory).
static IEnumerable<string> RegularFiles(string directory)
{
    var pending = new Stack<string>([directory]);
    while (pending.Count > 0)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(pending.Pop()))
        {
            switch (Posix.LStat(entry).Kind)
            {
                case FileKind.Directory:
                    pending.Push(entry);
                    break;
                case FileKind.Regular:
                    yield return entry;
                    break;
            }
        }
    }
}

// Rewrites every 20th regular file (by sorted path) with new content of the same size.
static (long Files, long Bytes) ChangeFiles(string root, string[] trees, double fraction)
{
    // Static pod manifests and the machine config stay intact: the backup reads them.
    var all = trees
        .SelectMany(t => RegularFiles(Path.Combine(root, t)))
        .Where(f => !f.Contains("/etc/kubernetes/manifests/", StringComparison.Ordinal) && !f.EndsWith("/currentconfig", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();
    var step = (int)Math.Round(1 / fraction);
    var random = new Random(5);
    long files = 0, bytes = 0;
    for (var i = 0; i < all.Count; i += step)
    {
        var size = (int)new FileInfo(all[i]).Length;
        var content = new byte[size];
        random.NextBytes(content);
        File.WriteAllBytes(all[i], content);
        files++;
        bytes += size;
    }

    return (files, bytes);
}

static string Gib(long bytes) => SpaceEstimate.Format(bytes);

static void Remove(string path)
{
    if (Directory.Exists(path))
    {
        Directory.Delete(path, recursive: true);
    }
}
