using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Processes;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Tests;

/// <summary><c>verify --deep</c> against real etcd: the snapshot is restored with etcdctl and served by a real etcd.</summary>
public sealed class DeepVerifyTests
{
    [Fact]
    public async Task A_good_backup_restores_to_the_recorded_revision_and_key_count_and_leaves_nothing_behind()
    {
        using var host = await TestHost.CreateAsync();
        using (var etcd = new EtcdClient(host.Etcd.Connection))
        {
            await etcd.PutAsync("/deep/a", "1"u8.ToArray());
            await etcd.PutAsync("/deep/a", "2"u8.ToArray());
        }

        var manifest = (await host.BackupAsync()).Manifest!;
        var root = new BackupDirectory(host.BackupDir).CurrentRoot()!;

        // The revision read from inside the snapshot is etcd's own tool's, and the key count the live etcd's.
        var status = await new ProcessRunner().RunAsync("etcdctl", ["snapshot", "status", Path.Combine(root, manifest.Etcd.SnapshotFile), "-w", "json"]);
        Assert.Equal(JsonDocument.Parse(status.StandardOutput).RootElement.GetProperty("revision").GetInt64(), manifest.Etcd.Revision);
        using (var etcd = new EtcdClient(host.Etcd.Connection))
        {
            Assert.Equal(await etcd.CountAllAsync(), manifest.Etcd.KeyCount);
        }

        var tmp = Directory.CreateDirectory(Path.Combine(host.Work, "tmp")).FullName;
        var (code, output, error) = await RunAsync(tmp, "recovery", "verify", "--dir", host.BackupDir, "--deep");
        Assert.True(code == 0, output + error);
        Assert.Contains("is intact", output, StringComparison.Ordinal);
        Assert.Contains("restoring the etcd snapshot", output, StringComparison.Ordinal);
        Assert.Contains($"serves revision {manifest.Etcd.Revision} and {manifest.Etcd.KeyCount} keys, as the manifest says", output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));

        // A backup of an older talm records no key count: it still verifies, and says what it could not compare.
        EditManifest(root, m => m["etcd"]!.AsObject().Remove("keyCount"));
        (code, output, error) = await RunAsync(tmp, "recovery", "verify", "--dir", host.BackupDir, "--deep");
        Assert.True(code == 0, output + error);
        Assert.Contains("cannot be compared", output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
    }

    [Fact]
    public async Task A_resealed_snapshot_of_another_revision_passes_the_hashes_but_fails_deep()
    {
        using var host = await TestHost.CreateAsync();
        var manifest = (await host.BackupAsync()).Manifest!;
        var root = new BackupDirectory(host.BackupDir).CurrentRoot()!;
        var snapshot = Path.Combine(root, manifest.Etcd.SnapshotFile);

        // A later snapshot, its trailer right, sealed into the manifest as if it were the backup's own.
        var later = Path.Combine(host.Work, "later.db");
        SnapshotResult taken;
        using (var etcd = new EtcdClient(host.Etcd.Connection))
        {
            await etcd.PutAsync("/deep/later", "x"u8.ToArray());
            taken = await etcd.SnapshotAsync(later);
        }

        var mode = Platform.Posix.LStat(snapshot).Permissions;
        File.Move(later, snapshot, overwrite: true);
        Platform.Posix.Chmod(snapshot, mode);
        var info = Platform.Posix.LStat(snapshot);
        EditManifest(root, m =>
        {
            m["etcd"]!["snapshotDbSha256"] = taken.DbSha256;
            var entry = m["entries"]!.AsArray().Single(e => (string?)e!["path"] == manifest.Etcd.SnapshotFile)!;
            entry["sha256"] = taken.FileSha256;
            entry["size"] = taken.TotalBytes;
            entry["mtimeNs"] = info.MtimeNs;
            m["entries"]!.AsArray().Single(e => (string?)e!["path"] == BackupLayout.ClusterDir)!["mtimeNs"] = Platform.Posix.LStat(Path.GetDirectoryName(snapshot)!).MtimeNs;
        });
        var plain = await BackupVerifier.VerifyAsync(host.BackupDir);
        Assert.True(plain.Intact, string.Join('\n', plain.Problems));

        var tmp = Directory.CreateDirectory(Path.Combine(host.Work, "tmp")).FullName;
        var (code, output, error) = await RunAsync(tmp, "recovery", "verify", "--dir", host.BackupDir, "--deep");
        Assert.True(code == 1, output + error);
        var reason = Assert.Single(output.Split('\n'), l => l.Contains("the manifest says", StringComparison.Ordinal));
        Assert.Contains($"the manifest says {manifest.Etcd.Revision}", reason, StringComparison.Ordinal);
        Assert.Contains("NOT intact", output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
    }

    [Fact]
    public async Task Interrupted_while_etcd_runs_it_stops_etcd_and_removes_the_directory()
    {
        using var host = await TestHost.CreateAsync();
        await host.BackupAsync();
        var tmp = Directory.CreateDirectory(Path.Combine(host.Work, "tmp")).FullName;

        // The real etcd, started a while after it is asked to be: the interruption lands while it is being started.
        var bin = Directory.CreateDirectory(Path.Combine(host.Work, "bin")).FullName;
        var wrapper = Path.Combine(bin, "etcd");
        var etcd = (await new ProcessRunner().RunAsync("sh", ["-c", "command -v etcd"])).StandardOutput.Trim();
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nsleep 20\nexec {etcd} \"$@\"\n");
        Platform.Posix.Chmod(wrapper, 0x1ED);
        using var process = Start(tmp, ["recovery", "verify", "--dir", host.BackupDir, "--deep"], bin + ":" + Environment.GetEnvironmentVariable("PATH"));
        var error = process.StandardError.ReadToEndAsync();
        var seen = new List<string>();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            seen.Add(line);
            if (line.StartsWith("starting ", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.True(seen.Count > 0 && seen[^1].StartsWith("starting ", StringComparison.Ordinal), string.Join('\n', seen));
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(tmp));
        await new ProcessRunner().RunAsync("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var rest = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 130, rest + await error);
        Assert.Contains("removed", rest, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc"), p => CommandLineOf(p).Contains(wrapper, StringComparison.Ordinal));
    }

    private static string CommandLineOf(string proc)
    {
        try
        {
            return File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static void EditManifest(string root, Action<JsonNode> edit)
    {
        var path = Path.Combine(root, BackupLayout.Manifest);
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    private static Process Start(string tmp, params string[] args) => Start(tmp, args, null);

    private static Process Start(string tmp, string[] args, string? path)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(TestHost.TalmDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["TMPDIR"] = tmp;
        if (path is not null)
        {
            info.Environment["PATH"] = path;
        }

        // The runtime's diagnostics socket would otherwise sit in TMPDIR beside what the test watches.
        info.Environment["DOTNET_EnableDiagnostics"] = "0";
        return Process.Start(info)!;
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string tmp, params string[] args)
    {
        using var process = Start(tmp, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
