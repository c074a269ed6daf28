using System.Diagnostics;

namespace Talm.Bench.Backup;

/// <summary>
/// What the disk itself allows for a backup's bytes, measured in the same run: a file of random data
/// as large as the copied trees, read with direct I/O, written durably with direct I/O, and copied
/// (read and durably written) with direct I/O, by <c>dd</c> in 4 MiB blocks. The copy is the limit
/// a backup's first run is compared with: it moves the same bytes without any page cache.
/// </summary>
internal sealed record DeviceLimit(TimeSpan Read, TimeSpan Write, TimeSpan Copy)
{
    private const int Block = 4 << 20;

    /// <summary>The random source file, made once in <paramref name="work"/> and kept for later runs.</summary>
    public static async Task<string> PrepareAsync(string work, long bytes)
    {
        var source = Path.Combine(work, "device-limit-source.bin");
        var blocks = (bytes + Block - 1) / Block;
        if (!File.Exists(source) || new FileInfo(source).Length != blocks * Block)
        {
            File.Delete(source);
            await Runs.Exec("dd", ["if=/dev/urandom", $"of={source}", $"bs={Block}", $"count={blocks}", "iflag=fullblock", "conv=fsync", "status=none"]);
        }

        return source;
    }

    public static async Task<DeviceLimit> MeasureAsync(string source, string work)
    {
        var target = Path.Combine(work, "device-limit-target.bin");
        File.Delete(target);
        var read = await Timed("dd", [$"if={source}", "of=/dev/null", $"bs={Block}", "iflag=direct", "status=none"]);

        // The write takes its random bytes from the page cache (read in untimed), so that it measures the disk, not /dev/urandom.
        await Runs.Exec("dd", [$"if={source}", "of=/dev/null", $"bs={Block}", "status=none"]);
        var write = await Timed("dd", [$"if={source}", $"of={target}", $"bs={Block}", "oflag=direct", "conv=fdatasync", "status=none"]);
        File.Delete(target);
        var copy = await Timed("dd", [$"if={source}", $"of={target}", $"bs={Block}", "iflag=direct", "oflag=direct", "conv=fdatasync", "status=none"]);
        File.Delete(target);
        return new DeviceLimit(read, write, copy);
    }

    private static async Task<TimeSpan> Timed(string file, string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        await Runs.Exec(file, arguments);
        return clock.Elapsed;
    }
}
