using Talm.Recovery.Backup;
using Talm.Recovery.Layout;
using Talm.Recovery.Platform;
using Talm.Sandbox;

namespace Talm.Recovery.Tests;

/// <summary><c>backup --dry-run</c> on a sandbox host with its real etcd: one line per check, its exit code, and nothing written.</summary>
public sealed class BackupPreflightTests
{
    [Fact]
    public async Task Each_check_reports_its_line_and_code_and_nothing_is_written()
    {
        using var host = await TestHost.CreateAsync();
        await host.BackupAsync();
        var before = State(host);

        var (code, output, error) = await TestHost.RunCliAsync(["recovery", "backup", "--dry-run", .. host.BackupArgs()]);
        Assert.True(code == 0, output + error);
        Assert.Contains("ok   space: ", output, StringComparison.Ordinal);
        Assert.Contains($"ok   etcd: {host.Etcd.ClientUrl} (--etcd-endpoint) answers", output, StringComparison.Ordinal);
        Assert.Contains("ok   previous backup: ", output, StringComparison.Ordinal);
        Assert.Contains("ok   pin: ", output, StringComparison.Ordinal);

        // The first check that fails gives the code: space 1, etcd 3, previous backup 6, a restore under way 8.
        (code, output, _) = await TestHost.RunCliAsync("recovery", "backup", "--dry-run", "--host-root", host.Root, "--dir", host.BackupDir, "--etcd-endpoint", host.Etcd.ClientUrl.ToString(), "--space-margin", "1000TiB");
        Assert.Equal(1, code);
        Assert.Contains("FAIL space: insufficient disk space to trigger backup", output, StringComparison.Ordinal);

        string[] silent = ["recovery", "backup", "--dry-run", "--host-root", host.Root, "--dir", host.BackupDir, "--space-margin", "0", "--etcd-endpoint", $"http://127.0.0.1:{LoopbackPort.Free()}"];
        (code, output, _) = await TestHost.RunCliAsync(silent);
        Assert.Equal(3, code);
        Assert.Contains("FAIL etcd: ", output, StringComparison.Ordinal);
        Assert.Equal(before, State(host));

        var root = new BackupDirectory(host.BackupDir).CurrentRoot()!;
        await File.AppendAllTextAsync(Path.Combine(root, "etc/hostname"), "x");
        (code, output, _) = await TestHost.RunCliAsync(["recovery", "backup", "--dry-run", .. host.BackupArgs()]);
        Assert.Equal(6, code);
        Assert.Contains("FAIL previous backup: ", output, StringComparison.Ordinal);
        Assert.Contains("etc/hostname: size", output, StringComparison.Ordinal);

        await File.WriteAllTextAsync(new BackupDirectory(host.BackupDir).Progress.Path, "started\n");
        before = State(host);
        (code, output, _) = await TestHost.RunCliAsync(["recovery", "backup", "--dry-run", .. host.BackupArgs()]);
        Assert.Equal(8, code);
        Assert.Contains("FAIL recovery: ", output, StringComparison.Ordinal);
        Assert.Equal(before, State(host));
    }

    /// <summary>Every path of the host (its etcd data aside: the live etcd writes there) and of the backup directory, with size, mtime and ctime.</summary>
    private static string State(TestHost host)
    {
        var lines = new List<string>();
        foreach (var dir in new[] { host.Root, host.BackupDir })
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                if (path.StartsWith(Path.Combine(host.Root, "var/lib/etcd"), StringComparison.Ordinal))
                {
                    continue;
                }

                var st = Posix.LStat(path);
                lines.Add($"{path} {st.Mode} {st.Size} {st.MtimeNs} {st.CtimeNs}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }
}
