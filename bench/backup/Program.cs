using System.Diagnostics;
using System.Globalization;
using Talm.Bench.Backup;
using Talm.Recovery.Backup;
using Talm.Sandbox;

// bench/backup: `talm recovery backup` against the reference backup (etcdctl snapshot save, tar czf of
// the static pod revisions, cp -Ra of /etc, /usr/local and /var/lib/kubelet, tar czf of the extras, sync)
// on a sandbox host, with a cold and with a warm page cache. Each round and cache state measures:
//   1. a first backup (nothing to reuse) of each method, against the reference + sync and against the
//      device's limit for the same bytes (a direct-I/O copy by dd, measured in the same round);
//   2. a series of backups of the unchanged host (talm only): the later ones must be no slower than the first;
//   3. after files holding 5% of the bytes changed, a talm backup against a full reference backup.
// Methods alternate who goes first from round to round; every timed run starts from the same state
// (everything synced; the page cache dropped, or the host read into it); the medians of the per-round
// ratios count.
var work = "/var/tmp/talm-bench";
var rounds = 3;
var series = 10;
var profileName = "sno";
string[] modes = ["cold", "warm"];
var talmExtra = new List<string>();
string? agent = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--rounds":
            rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--series":
            series = Math.Max(2, int.Parse(args[++i], CultureInfo.InvariantCulture));
            break;
        case "--profile":
            profileName = args[++i];
            break;
        case "--warm":
            modes = ["warm"];
            break;
        case "--cold":
            modes = ["cold"];
            break;
        case "--agent":
            agent = Path.GetFullPath(args[++i]);
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

var profile = SandboxProfile.ByName(profileName);
var hostRoot = Path.Combine(work, profile.Name); // short: podman refuses a run root over 50 characters
var trash = Path.Combine(work, "trash");
Directory.CreateDirectory(work);
// What runs on a node is the recovery image's talm-recovery (trimmed, ReadyToRun, one file; scripts/publish-recovery.sh);
// without --agent, the framework-dependent talm.dll of this build, which JIT-compiles more at start.
var talm = agent ?? Path.Combine(AppContext.BaseDirectory, "talm.dll");
if (!File.Exists(talm))
{
    Console.Error.WriteLine($"no agent at {talm}: run scripts/publish-recovery.sh, or leave out --agent to use this build's talm.dll");
    return 2;
}
if (Directory.Exists(trash))
{
    Console.WriteLine("removing the trash a stopped run left (the first timed runs may be slower: freshly freed inodes)");
    TreeRemover.Remove(trash, 32);
}

if (!File.Exists(Path.Combine(hostRoot, SandboxSeed.FileName)))
{
    SandboxHost.Delete(hostRoot);
    var made = Stopwatch.StartNew();
    Console.WriteLine($"making a {profile.Name} host in {hostRoot} (once; kept for later runs)...");
    await new SandboxHost(hostRoot, profile, seed: 42).CreateAsync();
    Console.WriteLine($"  made in {made.Elapsed.TotalSeconds:0.0} s");
}

var (files, bytes) = HostFiles.Census(hostRoot);
var etcdDb = new FileInfo(Path.Combine(hostRoot, "var/lib/etcd/member/snap/db")).Length;
Console.WriteLine($"host ({profile.Name}): {files} files, {Size(bytes)} in /etc + /usr/local + /var/lib/kubelet; etcd db {Size(etcdDb)}");
Console.WriteLine($"talm: {(talm.EndsWith(".dll", StringComparison.Ordinal) ? "dotnet " : "")}{talm}");
Console.WriteLine($"{rounds} rounds x {string.Join(" + ", modes)} page cache, {series} backups of the unchanged host per round, {Environment.ProcessorCount} CPUs" +
    (talmExtra.Count > 0 ? $", talm options: {string.Join(' ', talmExtra)}" : ""));
var limitSource = await DeviceLimit.PrepareAsync(work, bytes);

using var etcd = await SandboxEtcd.StartAsync(Path.Combine(hostRoot, "var/lib/etcd"));
var referenceDir = Path.Combine(work, "reference");
var talmDir = Path.Combine(work, "recovery");
var results = modes.ToDictionary(m => m, _ => new List<Round>());
long peak = 0;
try
{
    for (var round = 1; round <= rounds; round++)
    {
        foreach (var mode in modes)
        {
            results[mode].Add(await RunRoundAsync(round, mode == "warm"));
        }
    }
}
finally
{
    foreach (var mode in modes.Where(m => results[m].Count > 0))
    {
        Report(mode, results[mode]);
    }

    Console.WriteLine($"peak memory of talm: {peak >> 20} MiB (target < 200 MB)");

    // Last, and on many threads: every freed file waits for its discard on some filesystems (see TreeRemover).
    Console.WriteLine("removing the outputs...");
    Runs.Discard(referenceDir, trash);
    Runs.Discard(talmDir, trash);
    TreeRemover.Remove(trash, 32);
}

return 0;

async Task<Round> RunRoundAsync(int round, bool warm)
{
    var tag = $"round {round} {(warm ? "warm" : "cold")}";
    var referenceFirst = round % 2 == 1;
    var order = referenceFirst ? (string[])["reference", "talm"] : ["talm", "reference"];
    var first = new Dictionary<string, Run>();
    foreach (var method in order)
    {
        var dir = method == "reference" ? referenceDir : talmDir;
        Runs.Discard(dir, trash);
        first[method] = await TimedAsync(method, dir, $"{tag} first ", warm, $"r{round}-{(warm ? "warm" : "cold")}-first");
    }

    var unchanged = new List<Run>();
    for (var i = 1; i <= series; i++)
    {
        unchanged.Add(await TimedAsync("talm", talmDir, $"{tag} unchanged #{i,-2}", warm, $"r{round}-{(warm ? "warm" : "cold")}-unchanged-{i}"));
    }

    var changed = HostFiles.ChangeBytes(hostRoot, 0.05, seed: round * 2 + (warm ? 1 : 0));
    Console.WriteLine($"  {tag}: changed {changed.Files} files holding {Size(changed.Bytes)} (5% of the bytes)");
    var second = new Dictionary<string, Run>();
    foreach (var method in Enumerable.Reverse(order))
    {
        var dir = method == "reference" ? referenceDir : talmDir;
        if (method == "reference")
        {
            Runs.Discard(dir, trash);
        }

        second[method] = await TimedAsync(method, dir, $"{tag} 5% chg ", warm, $"r{round}-{(warm ? "warm" : "cold")}-changed");
    }

    await Runs.SettleAsync(warm: false, hostRoot);
    var limit = await DeviceLimit.MeasureAsync(limitSource, work);
    Console.WriteLine($"  {tag} device limit for {Size(bytes)} (dd, direct I/O): read {limit.Read.TotalSeconds:0.00} s, durable write {limit.Write.TotalSeconds:0.00} s, copy (read + durable write) {limit.Copy.TotalSeconds:0.00} s");
    return new Round(round, referenceFirst, first["reference"], first["talm"], second["reference"], second["talm"], unchanged, limit);
}

async Task<Run> TimedAsync(string method, string dir, string label, bool warm, string logName)
{
    var load = await Runs.SettleAsync(warm, hostRoot, dir);
    var run = method == "reference"
        ? await Runs.ReferenceAsync(hostRoot, dir, etcd.ClientUrl)
        : await Runs.TalmAsync(talm, hostRoot, dir, etcd.ClientUrl, talmExtra, Path.Combine(work, $"talm-{logName}.log"));
    run = run with { Load = load };
    peak = Math.Max(peak, run.PeakRss);
    Console.WriteLine($"  {label} {method,-9}: {run.Seconds,6:0.00} s" +
        (method == "reference" ? $" + sync {run.Sync.TotalSeconds:0.00} s" : $" durable, peak RSS {run.PeakRss >> 20} MiB{(run.Copied is null ? "" : ", " + run.Copied)}") +
        $"   load {load:0.0}");
    if (run.Phases is not null)
    {
        Console.WriteLine($"      {run.Phases}");
    }

    return run;
}

void Report(string mode, List<Round> rounds)
{
    Console.WriteLine();
    Console.WriteLine(mode == "warm" ? "WARM page cache (the host's trees read in before every timed run)" : "COLD page cache (dropped before every timed run)");
    Console.WriteLine("round | first: ref  +sync   talm  ratio  limit talm/limit | 5% changed: ref  +sync   talm  ratio | unchanged: #1     #2    #" + series + "  #2/#1  #" + series + "/#1 | load");
    foreach (var r in rounds)
    {
        Console.WriteLine(
            $"{r.Number,4}{(r.ReferenceFirst ? "r" : "t")} | {r.Ref1.Seconds,10:0.00} {r.Ref1.Sync.TotalSeconds,6:0.00} {r.Talm1.Seconds,6:0.00} {r.First,6:0.000} {r.Limit.Copy.TotalSeconds,6:0.00} {r.FirstToLimit,10:0.00} |" +
            $" {r.Ref2.Seconds,15:0.00} {r.Ref2.Sync.TotalSeconds,6:0.00} {r.Talm2.Seconds,6:0.00} {r.Changed,6:0.000} |" +
            $" {r.Series[0].Seconds,13:0.00} {r.Series[1].Seconds,5:0.00} {r.Series[^1].Seconds,5:0.00} {r.SecondToFirst,6:0.00} {r.LastToFirst,6:0.00} |" +
            $" {r.Loads.Min():0.0}-{r.Loads.Max():0.0}");
    }

    Console.WriteLine($"first backup       : median {Median(rounds.Select(r => r.First)):0.000} of reference + sync (target <= 0.8), spread {rounds.Min(r => r.First):0.000}-{rounds.Max(r => r.First):0.000}; " +
        $"{Median(rounds.Select(r => r.FirstCommands)):0.000} of the reference's commands alone");
    Console.WriteLine($"device limit       : median {Median(rounds.Select(r => r.Limit.Copy.TotalSeconds)):0.00} s for a direct-I/O copy of {Size(bytes)} (read {Median(rounds.Select(r => r.Limit.Read.TotalSeconds)):0.00} s, " +
        $"durable write {Median(rounds.Select(r => r.Limit.Write.TotalSeconds)):0.00} s); first backup median {Median(rounds.Select(r => r.FirstToLimit)):0.00}x the limit (aim <= 1.5), spread {rounds.Min(r => r.FirstToLimit):0.00}-{rounds.Max(r => r.FirstToLimit):0.00}");
    Console.WriteLine($"5% of bytes changed: median {Median(rounds.Select(r => r.Changed)):0.000} of a full reference backup + sync (target <= 0.2), spread {rounds.Min(r => r.Changed):0.000}-{rounds.Max(r => r.Changed):0.000}");
    Console.WriteLine($"etcd snapshot floor: the reference's etcdctl snapshot save alone took a median {Median(rounds.Select(r => r.Ref2.Snapshot.TotalSeconds)):0.00} s = {Median(rounds.Select(r => r.SnapshotFloor)):0.000} of its full backup + sync " +
        $"(spread {rounds.Min(r => r.SnapshotFloor):0.000}-{rounds.Max(r => r.SnapshotFloor):0.000}): no backup that takes a full etcd snapshot can go below it");
    Console.WriteLine($"unchanged host     : backup #2 median {Median(rounds.Select(r => r.SecondToFirst)):0.00}x backup #1, #{series} median {Median(rounds.Select(r => r.LastToFirst)):0.00}x #1 (target <= 1.0); " +
        $"spreads {rounds.Min(r => r.SecondToFirst):0.00}-{rounds.Max(r => r.SecondToFirst):0.00} and {rounds.Min(r => r.LastToFirst):0.00}-{rounds.Max(r => r.LastToFirst):0.00}; " +
        $"median of all {series}: {Median(rounds.SelectMany(r => r.Series).Select(s => s.Seconds)):0.00} s");
    Console.WriteLine($"median times       : reference first {Median(rounds.Select(r => r.Ref1.Seconds)):0.00} s (+ sync {Median(rounds.Select(r => r.Ref1.Sync.TotalSeconds)):0.00} s), talm first {Median(rounds.Select(r => r.Talm1.Seconds)):0.00} s; " +
        $"after the change: reference {Median(rounds.Select(r => r.Ref2.DurableSeconds)):0.00} s durable, talm {Median(rounds.Select(r => r.Talm2.Seconds)):0.00} s");
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

static string Size(long value) => SpaceEstimate.Format(value);

/// <summary>One round in one cache state. The backups after the first are backups of the same talm directory.</summary>
internal sealed record Round(int Number, bool ReferenceFirst, Run Ref1, Run Talm1, Run Ref2, Run Talm2, IReadOnlyList<Run> Series, DeviceLimit Limit)
{
    /// <summary>talm's first backup against the reference's, both durable.</summary>
    public double First => Talm1.Seconds / Ref1.DurableSeconds;

    public double FirstCommands => Talm1.Seconds / Ref1.Seconds;

    public double FirstToLimit => Talm1.Seconds / Limit.Copy.TotalSeconds;

    /// <summary>talm after 5% of the bytes changed, against a full reference backup, both durable.</summary>
    public double Changed => Talm2.Seconds / Ref2.DurableSeconds;

    /// <summary>The reference's etcd snapshot alone, against its full backup after the change, both as timed in that run.</summary>
    public double SnapshotFloor => Ref2.Snapshot.TotalSeconds / Ref2.DurableSeconds;

    public double SecondToFirst => Series[1].Seconds / Series[0].Seconds;

    public double LastToFirst => Series[^1].Seconds / Series[0].Seconds;

    public IEnumerable<double> Loads => Series.Append(Ref1).Append(Talm1).Append(Ref2).Append(Talm2).Select(r => r.Load);
}
