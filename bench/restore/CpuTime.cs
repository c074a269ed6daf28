using System.Runtime.InteropServices;

namespace Talm.Bench.Restore;

/// <summary>User+system CPU time from getrusage: of this process, or of its finished children (rsync forks).</summary>
internal static partial class CpuTime
{
    private const int RusageSelf = 0;
    private const int RusageChildren = -1;

    public static TimeSpan Self() => Read(RusageSelf);

    public static TimeSpan Children() => Read(RusageChildren);

    private static unsafe TimeSpan Read(int who)
    {
        // struct rusage starts with ru_utime and ru_stime, two struct timeval { long tv_sec; long tv_usec; }.
        var buffer = stackalloc long[18];
        if (GetRusage(who, buffer) != 0)
        {
            throw new InvalidOperationException("getrusage failed");
        }

        var micros = (buffer[0] * 1_000_000) + buffer[1] + (buffer[2] * 1_000_000) + buffer[3];
        return TimeSpan.FromMicroseconds(micros);
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, long* usage);
}
