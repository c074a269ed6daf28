using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore.Tests;

public sealed class TreeMirrorTests : IDisposable
{
    private readonly TempDir _dir = new();

    private string Backup => Path.Combine(_dir.Path, "backup/etc");

    private string Host => Path.Combine(_dir.Path, "host/etc");

    /// <summary>A small /etc-like tree with every kind of thing the mirror must carry.</summary>
    private void MakeBackupTree()
    {
        Sh.Bash($"""
            b='{Backup}'
            mkdir -p "$b/kubernetes/manifests" "$b/kubernetes/static-pod-resources/etcd-pod-3/secrets" "$b/ssh" "$b/empty" "$b/cni/net.d" "$b/tmpfiles-owned/cache"
            echo 'apiVersion: v1' > "$b/kubernetes/manifests/etcd-pod.yaml"
            head -c 70000 /dev/urandom > "$b/kubernetes/static-pod-resources/etcd-pod-3/secrets/tls.key"
            chmod 600 "$b/kubernetes/static-pod-resources/etcd-pod-3/secrets/tls.key"
            echo 'Port 22' > "$b/ssh/sshd_config"; chown 0:4 "$b/ssh/sshd_config"
            echo 'host' > "$b/hostname"; chown 1000:1000 "$b/hostname"
            echo 'suid' > "$b/suid-tool"; chown 1000:1000 "$b/suid-tool"; chmod 4755 "$b/suid-tool"
            echo 'same size A' > "$b/same-size"
            ln -s ../hostname "$b/cni/link-to-hostname"
            ln -s /nonexistent/target "$b/dangling"
            echo 'shared' > "$b/hard-a"; ln "$b/hard-a" "$b/hard-b"
            echo labelled > "$b/labelled"; setfattr -n user.label -v system_u:object_r:etc_t:s0 "$b/labelled"
            echo '.updated' > "$b/.updated"
            echo 'kept by host' > "$b/tmpfiles-owned/cache/x"
            touch -d '2026-01-02 03:04:05.123456789' "$b/hostname" "$b/same-size"
            touch -h -d '2025-05-05 05:05:05' "$b/cni/link-to-hostname"
            """);
    }

    private MirrorRequest Request(ExcludeList excludes, DateTimeOffset startedAt) =>
        new("etc", Backup, Host, "etc", TreeFacts.Entries(Backup, "etc"), excludes, startedAt);

    [Fact]
    public void Brings_a_changed_tree_back_exactly_and_honours_exclusions()
    {
        MakeBackupTree();
        var excludes = new ExcludeList(["kubernetes/manifests", ".updated", "tmpfiles-owned/cache"]);
        var startedAt = DateTimeOffset.UtcNow;
        var request = Request(excludes, startedAt);
        Thread.Sleep(20);
        Sh.Bash($"mkdir -p \"$(dirname '{Host}')\" && cp -a '{Backup}' '{Host}'");

        // The "upgrade": content, size-preserving edits, metadata, links, kinds, additions and removals.
        Sh.Bash($"""
            h='{Host}'
            echo 'Port 2222' > "$h/ssh/sshd_config"
            echo 'same size B' > "$h/same-size"; touch -d '2026-01-02 03:04:05.123456789' "$h/same-size"
            chmod 644 "$h/kubernetes/static-pod-resources/etcd-pod-3/secrets/tls.key"
            chown 0:0 "$h/hostname"
            chown 0:0 "$h/suid-tool"
            rm "$h/cni/link-to-hostname"; ln -s ../ssh "$h/cni/link-to-hostname"
            rm "$h/hard-b"; echo 'shared' > "$h/hard-b"
            setfattr -n user.label -v changed "$h/labelled"; setfattr -n user.extra -v 1 "$h/hostname"
            rm -r "$h/empty"; echo 'now a file' > "$h/empty"
            rm "$h/dangling"; mkdir -p "$h/dangling/sub"; echo x > "$h/dangling/sub/y"
            mkdir -p "$h/new-dir/deeper"; echo new > "$h/new-dir/deeper/file"; echo new > "$h/new-file"
            rm -r "$h/cni/net.d"
            echo 'upgrade manifest' > "$h/kubernetes/manifests/etcd-pod.yaml"
            echo 'new manifest' > "$h/kubernetes/manifests/kube-apiserver-pod.yaml"
            echo 'changed' > "$h/.updated"
            echo 'host runtime file' > "$h/tmpfiles-owned/cache/runtime"
            echo 'leftover' > "$h/.talm-restore-hostname.1234abcd"
            """);
        var excludedBefore = TreeFacts.Describe(Host, skip: rel => !excludes.IsExcluded(rel));

        var result = new TreeMirror(2).Mirror(request, null, CancellationToken.None);

        TreeFacts.AssertSame(
            TreeFacts.Describe(Backup, skip: excludes.IsExcluded),
            TreeFacts.Describe(Host, skip: excludes.IsExcluded));
        TreeFacts.AssertSame(excludedBefore, TreeFacts.Describe(Host, skip: rel => !excludes.IsExcluded(rel)));
        Assert.Equal("upgrade manifest\n", File.ReadAllText(Path.Combine(Host, "kubernetes/manifests/etcd-pod.yaml")));
        Assert.True(result.Deleted >= 3, $"deleted {result.Deleted}");
        Assert.Equal(4755, int.Parse(Convert.ToString(Posix.LStat(Path.Combine(Host, "suid-tool")).Permissions, 8), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Rewrites_only_what_differs_and_hashes_only_when_metadata_cannot_decide()
    {
        MakeBackupTree();
        var request = Request(ExcludeList.Empty, DateTimeOffset.UtcNow);
        Thread.Sleep(20);
        Sh.Bash($"mkdir -p \"$(dirname '{Host}')\" && cp -a '{Backup}' '{Host}'");
        Thread.Sleep(20);
        var untouched = Path.Combine(Host, "kubernetes/static-pod-resources/etcd-pod-3/secrets/tls.key");
        var inodeBefore = Posix.LStat(untouched).Inode;
        var ctimeBefore = Posix.LStat(untouched).CtimeNs;

        // Same size, mtime put back: only ctime betrays the change, and the hash confirms it.
        Sh.Bash($"h='{Host}'; echo 'same size B' > \"$h/same-size\"; touch -d '2026-01-02 03:04:05.123456789' \"$h/same-size\"");

        // Copied after the backup started but identical: hashed once, not rewritten.
        var first = new TreeMirror(2).Mirror(request, null, CancellationToken.None);

        Assert.Equal("same size A\n", File.ReadAllText(Path.Combine(Host, "same-size")));
        Assert.Equal(1, first.Copied);
        Assert.Equal(inodeBefore, Posix.LStat(untouched).Inode);

        // A host tree that predates the backup and was not touched: decided from metadata alone, nothing read.
        var request2 = Request(ExcludeList.Empty, DateTimeOffset.UtcNow.AddSeconds(1));
        var second = new TreeMirror(2).Mirror(request2, null, CancellationToken.None);
        Assert.Equal(0, second.Copied);
        Assert.Equal(0, second.Deleted);
        Assert.Equal(0, second.Hashed);
        Assert.Equal(ctimeBefore, Posix.LStat(untouched).CtimeNs);
        TreeFacts.AssertSame(TreeFacts.Describe(Backup), TreeFacts.Describe(Host));
    }

    [Fact]
    public void Restores_into_an_empty_or_missing_target()
    {
        MakeBackupTree();
        var request = Request(ExcludeList.Empty, DateTimeOffset.UtcNow);

        var result = new TreeMirror(2).Mirror(request, null, CancellationToken.None);

        TreeFacts.AssertSame(TreeFacts.Describe(Backup), TreeFacts.Describe(Host));
        Assert.Equal(request.Entries.Count, result.Entries);
    }

    public void Dispose() => _dir.Dispose();
}
