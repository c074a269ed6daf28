using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;
using Talm.Recovery.Processes;
using Talm.Recovery.Restore;
using Talm.Sandbox;

namespace Talm.Bench.Restore;

/// <summary>
/// Restore's file stage against the reference (<c>rsync -aAXvc --delete --no-t</c>) on a sandbox host
/// after a simulated upgrade changed a fraction of its files; both start from the same upgraded state
/// and must end with the same trees. Prints both times and the ratio.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var work = Arg(args, "--work") ?? "/tmp/talm-bench-restore";
        var profile = (Arg(args, "--profile") ?? "typical") == "small" ? SandboxProfile.Small : SandboxProfile.Typical;
        var fraction = double.Parse(Arg(args, "--fraction") ?? "0.05", CultureInfo.InvariantCulture);
        var parallelism = int.Parse(Arg(args, "--parallelism") ?? "8", CultureInfo.InvariantCulture);
        var host = Path.Combine(work, "host");
        var backupDir = Path.Combine(work, "recovery");
        var reference = Path.Combine(work, "reference-host");

        // Always from scratch: the quick check relies on inode change times as a real node has them,
        // which copying pristine trees back would reset.
        Reset(work);
        Say($"making a {profile.Name} host in {host}");
        await new SandboxHost(host, profile, 42).CreateAsync().ConfigureAwait(false);
        Say("backing it up with the backup engine");
        await BackupAsync(host, backupDir, work).ConfigureAwait(false);

        var root = new BackupDirectory(backupDir).CurrentRoot()!;
        var manifest = ManifestStore.Read(root);
        var (files, bytes) = (manifest.Totals.Files, manifest.Totals.Bytes);
        Say($"backup: {files} files, {bytes / (double)(1L << 20):0.0} MiB");

        var changes = UpgradeSimulator.Apply(host, fraction, 7);
        Say($"simulated upgrade: {changes.Total} changes over {changes.FilesSeen} files ({changes})");

        // The reference restores a copy of the upgraded host: rsync -c reads every byte of both sides
        // whatever their metadata, so a fresh copy costs it nothing; our restore runs on the original,
        // whose inode change times are as on the node.
        Run("rm", "-rf", reference);
        Directory.CreateDirectory(reference);
        foreach (var tree in UpgradeSimulator.Trees)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(reference, tree))!);
            Run("cp", "-a", Path.Combine(host, tree), Path.Combine(reference, tree));
        }

        Run("sync");
        Say("reference: rsync -aAXvc --delete --no-t (with etc.exclude.list for /etc)");
        var childCpuBefore = CpuTime.Children();
        var clock = Stopwatch.StartNew();
        Run("rsync", "-aAXvc", "--delete", "--no-t", "--exclude-from=" + Path.Combine(root, BackupLayout.EtcExcludeList), Path.Combine(root, BackupLayout.EtcDir) + "/", Path.Combine(reference, "etc") + "/");
        Run("rsync", "-aAXvc", "--delete", "--no-t", Path.Combine(root, BackupLayout.LocalDir) + "/", Path.Combine(reference, "usr/local") + "/");
        Run("rsync", "-aAXvc", "--delete", "--no-t", Path.Combine(root, BackupLayout.KubeletDir) + "/", Path.Combine(reference, "var/lib/kubelet") + "/");
        Run("sync");
        var referenceTime = clock.Elapsed;
        var referenceCpu = CpuTime.Children() - childCpuBefore;
        Say($"reference: {referenceTime.TotalSeconds:0.00} s ({referenceCpu.TotalSeconds:0.00} s CPU)");

        Say($"talm: restore file stage (exact mirror, rewriting only what differs; {parallelism} threads)");
        var selfCpuBefore = CpuTime.Self();
        clock.Restart();
        var excludes = ExcludeList.Load(Path.Combine(root, BackupLayout.EtcExcludeList));
        var mirror = new TreeMirror(parallelism);
        var results = new List<MirrorResult>
        {
            mirror.Mirror(new MirrorRequest("/etc", Path.Combine(root, BackupLayout.EtcDir), Path.Combine(host, "etc"), BackupLayout.EtcDir, manifest.Entries, excludes, manifest.StartedAt), null, CancellationToken.None),
            mirror.Mirror(new MirrorRequest("/usr/local", Path.Combine(root, BackupLayout.LocalDir), Path.Combine(host, "usr/local"), BackupLayout.LocalDir, manifest.Entries, ExcludeList.Empty, manifest.StartedAt), null, CancellationToken.None),
            mirror.Mirror(new MirrorRequest("/var/lib/kubelet", Path.Combine(root, BackupLayout.KubeletDir), Path.Combine(host, "var/lib/kubelet"), BackupLayout.KubeletDir, manifest.Entries, ExcludeList.Empty, manifest.StartedAt), null, CancellationToken.None),
        };
        var talmTime = clock.Elapsed;
        var talmCpu = CpuTime.Self() - selfCpuBefore;
        foreach (var r in results)
        {
            Say($"  {r.Name}: {r.Entries} entries, {r.Copied} rewritten, {r.MetadataFixed} metadata fixed, {r.Deleted} removed, {r.Hashed} hashed ({r.BytesHashed >> 20} MiB), {r.BytesCopied >> 20} MiB copied, {r.Duration.TotalSeconds:0.00} s: {r.Phases}");
        }

        Say($"talm: {talmTime.TotalSeconds:0.00} s ({talmCpu.TotalSeconds:0.00} s CPU)");

        Say("comparing the resulting trees (content, mode, owner, symlinks, xattrs; rsync without -H splits hard links and --no-t drops times, so neither is compared)");
        var differences = 0;
        foreach (var tree in UpgradeSimulator.Trees)
        {
            var skip = tree == "etc" ? excludes.IsExcluded : (Func<string, bool>)(_ => false);
            differences += Compare(Describe(Path.Combine(reference, tree), skip), Describe(Path.Combine(host, tree), skip), tree);
        }

        var ratio = talmTime.TotalSeconds / referenceTime.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine($"restore of {files} files / {bytes / (double)(1L << 20):0.0} MiB after {changes.Total} changes ({fraction:P0} of files)");
        Console.WriteLine($"  reference rsync -aAXvc --delete --no-t : {referenceTime.TotalSeconds,8:0.00} s");
        Console.WriteLine($"  talm restore file stage                : {talmTime.TotalSeconds,8:0.00} s");
        Console.WriteLine($"  ratio talm/reference (elapsed)         : {ratio,8:0.000}  (target <= 0.25)");
        Console.WriteLine($"  CPU time reference / talm              : {referenceCpu.TotalSeconds,8:0.00} s / {talmCpu.TotalSeconds:0.00} s, ratio {talmCpu.TotalSeconds / referenceCpu.TotalSeconds:0.000} (less sensitive to other load on the machine)");
        Console.WriteLine($"  load average at the end                : {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores");
        Console.WriteLine($"  resulting trees                        : {(differences == 0 ? "identical" : $"{differences} differences")}");
        return differences == 0 ? 0 : 1;
    }

    private static async Task BackupAsync(string host, string backupDir, string work)
    {
        var program = Path.Combine(work, "program");
        Directory.CreateDirectory(program);
        await File.WriteAllTextAsync(Path.Combine(program, "talm.dll"), "placeholder").ConfigureAwait(false);
        using var etcd = await SandboxEtcd.StartAsync(Path.Combine(host, "var/lib/etcd")).ConfigureAwait(false);
        var options = new BackupOptions
        {
            HostRoot = host,
            BackupDir = backupDir,
            Etcd = etcd.Connection,
            SpaceMargin = 0,
            Program = new ProgramLocation(program, "talm.dll"),
            ToolVersion = "bench",
        };
        var outcome = await new BackupRunner(options, new ProcessRunner(), NullLogger.Instance, TimeProvider.System, NullProgressReporter.Instance).RunAsync().ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            throw new InvalidOperationException("backup failed: " + outcome.Message);
        }
    }

    private static Dictionary<string, string> Describe(string dir, Func<string, bool> skip)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            var rel = pending.Pop();
            foreach (var child in Directory.EnumerateFileSystemEntries(rel.Length == 0 ? dir : Path.Combine(dir, rel)))
            {
                var childRel = rel.Length == 0 ? Path.GetFileName(child) : rel + "/" + Path.GetFileName(child);
                if (skip(childRel))
                {
                    continue;
                }

                var st = Posix.LStat(child);
                var xattrs = string.Join(",", Posix.GetXattrs(child).Select(kv => kv.Key + "=" + Convert.ToBase64String(kv.Value)));
                var what = st.Kind switch
                {
                    FileKind.Regular => "file " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(child))),
                    FileKind.Symlink => "link " + new FileInfo(child).LinkTarget,
                    _ => st.Kind.ToString(),
                };
                result[childRel] = $"{what} mode={st.Permissions} owner={st.Uid}:{st.Gid} xattrs={xattrs}";
                if (st.Kind == FileKind.Directory)
                {
                    pending.Push(childRel);
                }
            }
        }

        return result;
    }

    private static int Compare(Dictionary<string, string> reference, Dictionary<string, string> talm, string tree)
    {
        var differences = 0;
        foreach (var key in reference.Keys.Union(talm.Keys).Order(StringComparer.Ordinal))
        {
            reference.TryGetValue(key, out var a);
            talm.TryGetValue(key, out var b);
            if (a != b)
            {
                if (differences++ < 10)
                {
                    Say($"  {tree}/{key}: reference {a ?? "(absent)"} / talm {b ?? "(absent)"}");
                }
            }
        }

        return differences;
    }

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
        }
    }

    private static void Reset(string work)
    {
        if (Directory.Exists(work))
        {
            try
            {
                Run("find", work, "-type", "d", "-path", "*/ostree/deploy/*/deploy/*", "-prune", "-exec", "chattr", "-i", "{}", "+");
            }
            catch (InvalidOperationException)
            {
                // Only ostree's deployments are immutable; the rm below says if anything is left.
            }

            Run("rm", "-rf", work);
        }

        PodmanRunRoot.RemoveFor(Path.Combine(work, "host"));

        Directory.CreateDirectory(work);
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static void Say(string message) => Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");
}
