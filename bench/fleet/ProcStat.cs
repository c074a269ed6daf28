using System.Diagnostics;
using System.Globalization;

namespace Talm.Bench.Fleet;

/// <summary>Another process's CPU time and memory high-water mark, read from /proc (Linux).</summary>
public static class ProcStat
{
    private static readonly Lazy<double> TicksPerSecond = new(ReadClockTicks);

    /// <summary>utime + stime of <paramref name="pid"/> (fields 14 and 15 of /proc/PID/stat), in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond.Value;
    }

    /// <summary>A field of /proc/PID/status given in kB (VmHWM: peak resident set; VmRSS: current), in bytes; 0 when absent.</summary>
    public static long StatusBytes(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
            return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    private static double ReadClockTicks()
    {
        try
        {
            var info = new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(info)!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return double.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FormatException)
        {
            return 100; // USER_HZ on every Linux architecture .NET runs on.
        }
    }
}
