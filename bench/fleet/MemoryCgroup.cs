using System.Globalization;

namespace Talm.Bench.Fleet;

/// <summary>
/// A memory cgroup with a limit, for the operator process: the Deployment's
/// <c>resources.limits.memory</c> (deploy/operator/deployment.yaml), which the .NET runtime reads at
/// start-up to size its GC heap (75% of it) and the kernel enforces. The operator is started through
/// <c>sh -c</c>, which joins the group and then becomes the operator (exec), so the runtime sees the
/// limit from its first instruction. cgroup v1 (memory controller) or v2.
/// </summary>
internal sealed class MemoryCgroup : IDisposable
{
    private readonly string _dir;
    private readonly bool _v2;

    private MemoryCgroup(string dir, bool v2)
    {
        _dir = dir;
        _v2 = v2;
    }

    public long LimitBytes { get; private init; }

    /// <summary>Creates the group, or returns null with the reason when this machine cannot.</summary>
    public static MemoryCgroup? TryCreate(long limitBytes, out string? why)
    {
        var name = $"talm-bench-operator-{Environment.ProcessId}";
        var candidates = new[] { ("/sys/fs/cgroup/memory", false, "memory.limit_in_bytes"), ("/sys/fs/cgroup/unified", true, "memory.max"), ("/sys/fs/cgroup", true, "memory.max") };
        foreach (var (root, v2, limitFile) in candidates)
        {
            if (!Directory.Exists(root) || (v2 && !File.Exists(Path.Combine(root, "cgroup.controllers")))) continue;
            if (v2 && !File.ReadAllText(Path.Combine(root, "cgroup.controllers")).Split(' ', '\n').Contains("memory")) continue;
            var dir = Path.Combine(root, name);
            try
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, limitFile), limitBytes.ToString(CultureInfo.InvariantCulture));
                why = null;
                return new MemoryCgroup(dir, v2) { LimitBytes = limitBytes };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                try { Directory.Delete(dir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                why = $"cannot set a memory limit in {root}: {e.Message}";
                return null;
            }
        }
        why = "no writable memory cgroup (v1 /sys/fs/cgroup/memory or v2 with the memory controller)";
        return null;
    }

    /// <summary>The command that joins this group, then runs "$0" "$@" in its place.</summary>
    public IReadOnlyList<string> ShellPrefix => ["-c", $"echo $$ > {_dir}/cgroup.procs && exec \"$0\" \"$@\""];

    /// <summary>How many times the kernel had to reclaim or kill at the limit (v1 failcnt; v2 the max and oom_kill events).</summary>
    public string Pressure()
    {
        try
        {
            if (!_v2)
            {
                return $"failcnt {File.ReadAllText(Path.Combine(_dir, "memory.failcnt")).Trim()}, " +
                              $"oom_kill {OomKills(File.ReadAllLines(Path.Combine(_dir, "memory.oom_control")))}";
            }

            var events = File.ReadAllLines(Path.Combine(_dir, "memory.events"));
            return string.Join(", ", events.Where(l => l.StartsWith("max ", StringComparison.Ordinal) || l.StartsWith("oom_kill ", StringComparison.Ordinal)));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string OomKills(string[] lines) =>
        lines.FirstOrDefault(l => l.StartsWith("oom_kill ", StringComparison.Ordinal))?.Split(' ')[1] ?? "0";

    public void Dispose()
    {
        // The group can only go once its processes have.
        for (var i = 0; i < 50; i++)
        {
            try
            {
                Directory.Delete(_dir);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }
}
