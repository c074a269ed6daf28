using System.Diagnostics;
using System.Globalization;
using Talm.Recovery.Backup;
using Talm.Recovery.Platform;
using Talm.Sandbox;

// bench/backup: the reference backup (etcdctl snapshot save, tar czf of the static pod revisions,
// cp -Ra of /etc, /usr/local and /var/lib/kubelet, tar czf of the extras) against
// `talm recovery backup`, on a `typical` sandbox host; then both again after 5% of the files changed.
// Several interleaved rounds, each timed run from the same state (its method's previous output
// removed, everything synced, the page cache dropped unless --warm), so that neither side pays for
// the other's writeback or for being "first after an rm"; the medians of the per-round ratios count.
var work = "/var/tmp/talm-bench";
var rounds = 3;
var warm = false;
var talmExtra = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--rounds":
            rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--warm":
            warm = true;
            break;
        case "--":
            talmExtra.AddRange(args[(i + 1)..]);
            i = args.Length;
            break;
        default:
            work = args[i];
            break;
    }
}

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

string[] trees = ["etc", "usr/local", "var/lib/kubelet"];
var (files, bytes) = Census(hostRoot, trees);
var etcdDb = new FileInfo(Path.Combine(hostRoot, "var/lib/etcd/member/snap/db")).Length;
Console.WriteLine($"host: {files} files, {Gib(bytes)} in /etc + /usr/local + /var/lib/kubelet; etcd db {Gib(etcdDb)}");
Console.WriteLine($"{rounds} rounds, {(warm ? "WARM page cache (--warm)" : "cold page cache (dropped before every timed run)")}, {Environment.ProcessorCount} CPUs" +
    (talmExtra.Count > 0 ? $", talm options: {string.Join(' ', talmExtra)}" : ""));

using var etcd = await EtcdProcess.StartAsync(Path.Combine(hostRoot, "var/lib/etcd"));
var referenceDir = Path.Combine(work, "reference");
var talmDir = Path.Combine(work, "recovery");
var results = new List<Round>();
long peak = 0;
for (var round = 1; round <= rounds; round++)
{
    // Alternate who goes first, so any drift within a round (host state, neighbours) falls on both.
    var referenceFirst = round % 2 == 1;
    var firstRun = new Dictionary<string, Run>();
    var secondRun = new Dictionary<string, Run>();
    foreach (var second in (bool[])[false, true])
    {
        if (second)
        {
            var changed = ChangeFiles(hostRoot, trees, 0.05, seed: round);
            Console.WriteLine($"  round {round}: changed {changed.Files} files ({Gib(changed.Bytes)}), 5% of the files");
        }

        foreach (var method in referenceFirst ? (string[])["reference", "talm"] : ["talm", "reference"])
        {
            // Preconditions, untimed: for the first backup both start from nothing. For the second both
            // start from their first backup and remove it in their run: the reference deletes the
            // contents of /var/recovery before copying (docs/backup-format.md), talm drops its previous
            // generation after the commit. The reference's rm is also shown apart.
            if (!second)
            {
                await Remove(method == "reference" ? referenceDir : talmDir);
            }

            var load = await Settle(warm);
            Run run;
            if (method == "reference")
            {
                run = await Reference(hostRoot, referenceDir, etcd.ClientUrl);
            }
            else
            {
                run = await Talm(talm, hostRoot, talmDir, etcd.ClientUrl, talmExtra, Path.Combine(work, $"talm-r{round}-{(second ? 2 : 1)}.log"));
                peak = Math.Max(peak, run.PeakRss);
            }

            run = run with { Load = load };
            (second ? secondRun : firstRun)[method] = run;
            Console.WriteLine($"  round {round} {(second ? "second" : "first ")} {method,-9}: {run.Elapsed.TotalSeconds,6:0.00} s" +
                (method == "reference" ? $" + sync {run.Sync.TotalSeconds:0.00} s (of which rm -rf of its previous backup {run.Removal.TotalSeconds:0.00} s)" : $" durable, peak RSS {run.PeakRss >> 20} MiB") +
                $"   load {load:0.00}");
            if (run.Phases is not null)
            {
                Console.WriteLine($"      {run.Phases}");
            }
        }
    }

    results.Add(new Round(round, referenceFirst, firstRun["reference"], firstRun["talm"], secondRun["reference"], secondRun["talm"]));
}

Console.WriteLine();
Console.WriteLine("round  first: ref   +sync    talm   ratio  ratio(+sync)   second: ref   +sync    talm   ratio  ratio(+sync)");
foreach (var r in results)
{
    Console.WriteLine($"{r.Number,5}{(r.ReferenceFirst ? "r" : "t")}  {r.Ref1.Elapsed.TotalSeconds,10:0.00} {r.Ref1.Sync.TotalSeconds,7:0.00} {r.Talm1.Elapsed.TotalSeconds,7:0.00} {r.First,7:0.000} {r.FirstSync,13:0.000}" +
        $"  {r.Ref2.Elapsed.TotalSeconds,12:0.00} {r.Ref2.Sync.TotalSeconds,7:0.00} {r.Talm2.Elapsed.TotalSeconds,7:0.00} {r.Second,7:0.000} {r.SecondSync,13:0.000}");
}

Console.WriteLine($"median ratio, first backup : {Median(results.Select(r => r.First)):0.000} vs reference, {Median(results.Select(r => r.FirstSync)):0.000} vs reference+sync (target <= 0.5); " +
    $"spread {results.Min(r => r.First):0.000}-{results.Max(r => r.First):0.000}");
Console.WriteLine($"median ratio, second backup: {Median(results.Select(r => r.Second)):0.000} vs reference, {Median(results.Select(r => r.SecondSync)):0.000} vs reference+sync (target <= 0.2); " +
    $"spread {results.Min(r => r.Second):0.000}-{results.Max(r => r.Second):0.000}");
Console.WriteLine($"median ratio, second backup, reference without its rm -rf: {Median(results.Select(r => r.Talm2.Elapsed / (r.Ref2.Elapsed - r.Ref2.Removal))):0.000}");
Console.WriteLine($"median times: reference first {Median(results.Select(r => r.Ref1.Elapsed.TotalSeconds)):0.00} s (+sync {Median(results.Select(r => r.Ref1.Sync.TotalSeconds)):0.00}), " +
    $"talm first {Median(results.Select(r => r.Talm1.Elapsed.TotalSeconds)):0.00} s; reference second {Median(results.Select(r => r.Ref2.Elapsed.TotalSeconds)):0.00} s, talm second {Median(results.Select(r => r.Talm2.Elapsed.TotalSeconds)):0.00} s");
Console.WriteLine($"peak memory of talm: {peak >> 20} MiB (target < 200 MB)");
await Remove(referenceDir);
return 0;

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

// Everything written so far on disk (so nobody's writeback lands in the next timed run), then, for a
// cold run, the clean page cache, dentries and inodes dropped: /var/lib/kubelet on a node is mostly
// not cached when the backup starts. Returns the 1-minute load average as the run starts.
static async Task<double> Settle(bool warm)
{
    await Exec("sync", []);
    if (!warm)
    {
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "3");
    }

    return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}

// The reference's commands, timed; then (timed apart) the sync that makes its copy durable.
static async Task<Run> Reference(string host, string dir, Uri etcd)
{
    var revisions = StaticPodRevisions.CurrentRevisionDirs(new HostPaths(host));
    var extras = ExtraFiles.Find(new HostPaths(host)).Select(p => p.TrimStart('/'));
    var clock = Stopwatch.StartNew();
    var removal = await Remove(dir);
    Directory.CreateDirectory(Path.Combine(dir, "cluster"));
    await Exec("etcdctl", ["--endpoints", etcd.ToString(), "snapshot", "save", Path.Combine(dir, "cluster/snapshot.db")], ("ETCDCTL_API", "3"));
    await Exec("tar", ["-czf", Path.Combine(dir, "cluster/static_kuberesources.tar.gz"), "-C", Path.Combine(host, "etc/kubernetes"), .. revisions]);
    await Exec("cp", ["-Ra", Path.Combine(host, "etc"), Path.Combine(dir, "etc")]);
    await Exec("cp", ["-Ra", Path.Combine(host, "usr/local"), Path.Combine(dir, "local")]);
    await Exec("cp", ["-Ra", Path.Combine(host, "var/lib/kubelet"), Path.Combine(dir, "kubelet")]);
    await Exec("tar", ["-czf", Path.Combine(dir, "extras.tgz"), "-C", host, .. extras]);
    var commands = clock.Elapsed;
    clock.Restart();
    await Exec("sync", []);
    return new Run(commands, clock.Elapsed, 0, null) { Removal = removal };
}

static async Task<Run> Talm(string talm, string host, string dir, Uri etcd, IEnumerable<string> extra, string log)
{
    var clock = Stopwatch.StartNew();
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in (string[])[talm, "recovery", "backup", "--host-root", host, "--dir", dir, "--etcd-endpoint", etcd.ToString(), "--space-margin", "0", "--verbose", .. extra])
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
    await File.WriteAllTextAsync(log, await stderr + await stdout);
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"talm backup failed ({process.ExitCode}), see {log}");
    }

    var phases = (await stderr).Split('\n').LastOrDefault(l => l.Contains("Phase timings", StringComparison.Ordinal))?.Trim();
    return new Run(elapsed, TimeSpan.Zero, peak, phases is null ? null : phases[phases.IndexOf("Phase timings", StringComparison.Ordinal)..]);
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

static async Task Exec(string file, string[] arguments, params (string Key, string Value)[] environment)
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
static (long Files, long Bytes) ChangeFiles(string root, string[] trees, double fraction, int seed)
{
    // Static pod manifests and the machine config stay intact: the backup reads them.
    var all = trees
        .SelectMany(t => RegularFiles(Path.Combine(root, t)))
        .Where(f => !f.Contains("/etc/kubernetes/manifests/", StringComparison.Ordinal) && !f.EndsWith("/currentconfig", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();
    var step = (int)Math.Round(1 / fraction);
    var random = new Random(seed);
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

// rm -rf of a previous output, timed.
static async Task<TimeSpan> Remove(string path)
{
    var clock = Stopwatch.StartNew();
    if (Directory.Exists(path))
    {
        await Exec("rm", ["-rf", path]);
    }

    return clock.Elapsed;
}

internal sealed record Run(TimeSpan Elapsed, TimeSpan Sync, long PeakRss, string? Phases)
{
    public double Load { get; init; }

    public TimeSpan Removal { get; init; }
}

internal sealed record Round(int Number, bool ReferenceFirst, Run Ref1, Run Talm1, Run Ref2, Run Talm2)
{
    public double First => Talm1.Elapsed / Ref1.Elapsed;

    public double FirstSync => Talm1.Elapsed / (Ref1.Elapsed + Ref1.Sync);

    public double Second => Talm2.Elapsed / Ref2.Elapsed;

    public double SecondSync => Talm2.Elapsed / (Ref2.Elapsed + Ref2.Sync);
}
