using System.Diagnostics;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;
using Talm.Recovery.Rollback;
using Talm.Recovery.Status;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// <c>restore --dry-run</c> changes nothing, and what it lists is exactly what the restore then changes: stage
/// restore_files run for real (/usr/local, /etc, extras), and /var/lib/kubelet mirrored as stage restore_cluster does.
/// </summary>
public sealed class RestoreDryRunTests : IDisposable
{
    private readonly SandboxNode _node = new();

    [Fact]
    public async Task Touches_nothing_and_lists_exactly_what_the_restore_then_changes()
    {
        _node.SimulateUpgrade();
        RestorePreview preview;
        long liveRevision;
        var backupBefore = State(_node.BackupDir);
        var hostBefore = State(_node.Host, skip: rel => rel.StartsWith("var/lib/etcd", StringComparison.Ordinal));
        using (var etcd = EtcdServer.Start(_node.EtcdData))
        {
            var connection = new EtcdConnection { Endpoint = new Uri(etcd.Endpoint) };
            using (var client = new EtcdClient(connection))
            {
                liveRevision = (await client.StatusAsync()).Revision;
            }

            preview = await RestoreDryRun.RunAsync(new RestoreDryRunOptions { HostRoot = _node.Host, BackupDir = _node.BackupDir, Etcd = connection }, CancellationToken.None);

            // The command says the same, and exits 4: the upgraded OS is not the pinned one, so the restore would stop.
            var (code, text) = Cli("recovery", "restore", "--dry-run", "--host-root", _node.Host, "--dir", _node.BackupDir, "--etcd-endpoint", etcd.Endpoint);
            Assert.True(code == 4, text);
            Assert.Contains("rewrite  file      /usr/local/bin/tool (", text, StringComparison.Ordinal);
            Assert.Contains($"etcd: revision {liveRevision} now", text, StringComparison.Ordinal);
            Assert.Contains("the restore would stop here: Active ostree deployment is not pinned", text, StringComparison.Ordinal);
        }

        // Nothing changed: not the host (its etcd data aside, which the live etcd writes), not the backup, no progress file.
        AssertSame(hostBefore, State(_node.Host, skip: rel => rel.StartsWith("var/lib/etcd", StringComparison.Ordinal)));
        AssertSame(backupBefore, State(_node.BackupDir));

        Assert.Equal(liveRevision, preview.Etcd.Live);
        Assert.Equal(42, preview.Etcd.Snapshot);
        var status = await StatusCollector.CollectAsync(_node.Host, _node.BackupDir, verify: false, 2, CancellationToken.None);
        Assert.Equal(status.Ostree.RollbackAction, preview.Rollback.Action.ToString());
        Assert.Equal(RollbackAction.MakeDefault, preview.Rollback.Action);
        Assert.Equal(["/var/lib/managed/node.conf"], preview.Extras!.Files);
        Assert.Equal(["/usr/local", "/etc", "/var/lib/kubelet"], preview.Trees.Select(t => t.Tree.HostPath));
        Assert.All(preview.Trees, t => Assert.NotEmpty(t.Plan.Changes));

        // Now for real: the rollback the preview named, stage restore_files, and the kubelet tree as stage restore_cluster mirrors it.
        await new RollbackTests.Runner().RollbackAsync(_node.Host);
        var trees = preview.Trees.Select(t => t.Tree.HostPath.TrimStart('/')).Append("var/lib/managed").ToArray();
        bool InTrees(string rel) => trees.Any(t => rel == t || rel.StartsWith(t + "/", StringComparison.Ordinal));
        var before = State(_node.Host, skip: rel => !InTrees(rel));
        Assert.Equal(RestoreOutcome.RebootRequired, await new RestoreHarness(_node).RunAsync());
        var kubelet = RestoredTree.Named(BackupLayout.KubeletDir);
        var manifest = ManifestStore.Read(_node.BackupRoot);
        new TreeMirror(2).Mirror(kubelet.Request(_node.BackupRoot, manifest, Path.Join(_node.Host, kubelet.HostPath)), null, CancellationToken.None);
        var after = State(_node.Host, skip: rel => !InTrees(rel));

        var expected = Expected(preview, before);
        var actual = Diff(before, after);
        Assert.True(expected.SetEquals(actual), $"listed but not changed: {string.Join(", ", expected.Except(actual))}\nchanged but not listed: {string.Join(", ", actual.Except(expected))}");

        // With the restore under way and etcd down: still nothing changed, the progress file included, and no failure.
        var progress = File.ReadAllBytes(new BackupDirectory(_node.BackupDir).Progress.Path);
        var again = await RestoreDryRun.RunAsync(
            new RestoreDryRunOptions { HostRoot = _node.Host, BackupDir = _node.BackupDir, Etcd = new EtcdConnection { Endpoint = new Uri($"http://127.0.0.1:{EtcdServer.FreePort()}") } },
            CancellationToken.None);
        Assert.Equal(progress, File.ReadAllBytes(new BackupDirectory(_node.BackupDir).Progress.Path));
        Assert.Null(again.Etcd.Live);
        Assert.NotNull(again.Etcd.Problem);
        Assert.All(again.Trees, t => Assert.Empty(t.Plan.Changes));
        Assert.Contains(again.Notes, n => n.Contains("restore is under way", StringComparison.Ordinal));
        Assert.Empty(again.Refusals);
    }

    /// <summary>What the preview says will change, as "kind host-path" lines; a deleted directory takes all it held.</summary>
    private static HashSet<string> Expected(RestorePreview preview, SortedDictionary<string, Facts> before)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tree in preview.Trees)
        {
            foreach (var change in tree.Plan.Changes)
            {
                var path = tree.Tree.HostPath.TrimStart('/') + (change.Path.Length == 0 ? "" : "/" + change.Path);
                expected.Add($"{change.Change} {path}");
                if (change.Change == MirrorChangeKind.Delete)
                {
                    expected.UnionWith(before.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).Select(k => $"Delete {k}"));
                }
            }
        }

        // extras.tgz is unpacked whole: each of its files is written again (beside itself, then renamed: its directory's mtime moves).
        expected.UnionWith(preview.Extras!.Files.Select(f => (before.ContainsKey(f.TrimStart('/')) ? "Rewrite " : "Create ") + f.TrimStart('/')));
        expected.UnionWith(preview.Extras.Files.Select(f => "Metadata " + Path.GetDirectoryName(f.TrimStart('/'))));
        return expected;
    }

    private static HashSet<string> Diff(SortedDictionary<string, Facts> before, SortedDictionary<string, Facts> after)
    {
        var changes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, was) in before)
        {
            if (!after.TryGetValue(path, out var now))
            {
                changes.Add($"Delete {path}");
            }
            else if (now.Inode != was.Inode || now.Kind != was.Kind)
            {
                changes.Add($"Rewrite {path}");
            }
            else if (now.Metadata != was.Metadata)
            {
                changes.Add($"Metadata {path}");
            }
        }

        changes.UnionWith(after.Keys.Where(k => !before.ContainsKey(k)).Select(k => $"Create {k}"));
        return changes;
    }

    private sealed record Facts(FileKind Kind, ulong Inode, string Content, string Metadata, long CtimeNs);

    /// <summary>Every entry below <paramref name="dir"/>: inode, content, owner, mode, mtime, xattrs and ctime (which any change sets).</summary>
    private static SortedDictionary<string, Facts> State(string dir, Func<string, bool>? skip = null)
    {
        var result = new SortedDictionary<string, Facts>(StringComparer.Ordinal);
        var pending = new Stack<string>([""]);
        while (pending.Count > 0)
        {
            var rel = pending.Pop();
            foreach (var child in Directory.EnumerateFileSystemEntries(Path.Join(dir, rel)))
            {
                var childRel = Path.GetRelativePath(dir, child);
                var st = Posix.LStat(child);
                if (skip?.Invoke(childRel) == true)
                {
                    if (st.Kind == FileKind.Directory)
                    {
                        pending.Push(childRel);
                    }

                    continue;
                }

                var content = st.Kind switch
                {
                    FileKind.Regular => TreeFacts.Sha(child),
                    FileKind.Symlink => new FileInfo(child).LinkTarget!,
                    _ => "",
                };
                var xattrs = string.Join(",", Posix.GetXattrs(child).Select(kv => kv.Key + "=" + Convert.ToBase64String(kv.Value)));
                result[childRel] = new Facts(st.Kind, st.Inode, content, $"{st.Permissions} {st.Uid}:{st.Gid} {st.MtimeNs} [{xattrs}]", st.CtimeNs);
                if (st.Kind == FileKind.Directory)
                {
                    pending.Push(childRel);
                }
            }
        }

        return result;
    }

    private static void AssertSame(SortedDictionary<string, Facts> expected, SortedDictionary<string, Facts> actual)
    {
        var differing = expected.Keys.Union(actual.Keys).Where(k => !expected.TryGetValue(k, out var e) || !actual.TryGetValue(k, out var a) || e != a).ToList();
        Assert.True(differing.Count == 0, "changed by the dry run: " + string.Join(", ", differing.Take(20)));
    }

    private static (int Code, string Output) Cli(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "talm.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    public void Dispose() => _node.Dispose();
}
