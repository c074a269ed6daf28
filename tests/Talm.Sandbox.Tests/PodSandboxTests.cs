using System.Text.Json.Nodes;
using Talm.Sandbox.Pods;

namespace Talm.Sandbox.Tests;

/// <summary>The pod sandbox itself: what a container of the backup Job sees and reaches.</summary>
public sealed class PodSandboxTests
{
    private static JsonObject Shell(string script, long? deadline = null)
    {
        var job = PodHost.BackupJobRunning(["/bin/bash", "-c"], script);
        if (deadline is { } d)
        {
            job["spec"]!["activeDeadlineSeconds"] = d;
        }

        return job;
    }

    [Fact]
    public async Task The_container_sees_exactly_the_jobs_volumes_with_their_flags_and_reaches_the_node_only_on_its_ip()
    {
        await using var host = await PodHost.CreateAsync();
        var result = await host.RunAsync(Shell("""
            echo "hostname=$(hostname)"
            echo "host=$(ls /host | tr '\n' ' ')"
            grep -E ' /host(/| )' /proc/self/mountinfo | awk '{print $5, substr($6,1,2)}' | sort
            echo "pid1=$(cat /proc/1/comm)"
            echo "booted=$(ls /host/run/ostree-booted)"
            ip -4 -o addr show scope global | awk '{print "addr=" $4}'
            (exec 3<>/dev/tcp/{{IP}}/2379) 2>/dev/null && echo "node-etcd=open" || echo "node-etcd=closed"
            (exec 3<>/dev/tcp/127.0.0.1/2379) 2>/dev/null && echo "loopback-etcd=open" || echo "loopback-etcd=closed"
            touch /host/usr/local/x 2>/dev/null && echo "usr-local=rw" || echo "usr-local=ro"
            touch /host/sysroot/x 2>/dev/null && echo "sysroot=rw" || echo "sysroot=ro"
            touch /host/etc/x && rm /host/etc/x && echo "etc=rw"
            """.Replace("{{IP}}", host.Node.Ip, StringComparison.Ordinal)));

        Assert.True(result.Succeeded, result.Log);
        var lines = result.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("hostname=backup-agent-", StringComparison.Ordinal));
        Assert.Contains("pid1=bash", lines);
        Assert.Contains("booted=/host/run/ostree-booted", lines);
        // Every mount of the Job at its path (none other), read-only exactly where the Job says, and /sysroot too (RHCOS).
        string[] expected =
        [
            "/host rw", "/host/boot ro", "/host/dev/log rw", "/host/etc rw", "/host/proc ro", "/host/run rw", "/host/sys/fs/cgroup ro", "/host/sysroot ro", "/host/tmp rw",
            "/host/usr/bin ro", "/host/usr/lib ro", "/host/usr/lib64 ro", "/host/usr/libexec ro", "/host/usr/local ro", "/host/usr/share/containers ro",
            "/host/var/lib rw", "/host/var/recovery rw", "/host/var/tmp rw",
        ];
        Assert.Equal(expected, lines.Where(l => l.StartsWith("/host", StringComparison.Ordinal) && !l.StartsWith("/host/proc/", StringComparison.Ordinal) && !l.StartsWith("/host/sys/fs/cgroup/", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("addr=10.128.", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("addr=" + host.Node.Ip, StringComparison.Ordinal));
        Assert.Contains("node-etcd=open", lines);
        Assert.Contains("loopback-etcd=closed", lines);
        Assert.Contains("usr-local=ro", lines);
        Assert.Contains("sysroot=ro", lines);
        Assert.Contains("etc=rw", lines);
    }

    [Fact]
    public async Task The_deadline_kills_the_pod_and_a_broken_hostpath_never_starts_it()
    {
        await using var host = await PodHost.CreateAsync();
        var started = DateTime.UtcNow;
        // The deadline runs from the pod's start, set-up included (as a kubelet counts it): 5 s leaves the
        // shell time to start on a loaded machine, and the 60 s sleep still cannot finish.
        var late = await host.RunAsync(Shell("echo started; sleep 60 & wait", deadline: 5));
        Assert.Equal("DeadlineExceeded", late.Reason);
        Assert.NotEqual(0, late.ExitCode);
        Assert.Contains("started", late.Log, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(40));

        var failing = await host.RunAsync(Shell("echo out; echo err >&2; exit 3"));
        Assert.Equal(("Error", 3), (failing.Reason, failing.ExitCode));
        Assert.Contains("out", failing.Log, StringComparison.Ordinal);
        Assert.Contains("err", failing.Log, StringComparison.Ordinal);
        Assert.Contains("err", await File.ReadAllTextAsync(host.LogFile), StringComparison.Ordinal);

        File.Delete(Path.Combine(host.Root, "dev/log"));
        var unmountable = await host.RunAsync(Shell("echo never"));
        Assert.Equal("FailedMount", unmountable.Reason);
        Assert.Contains("/dev/log is not a socket", unmountable.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("never", unmountable.Log, StringComparison.Ordinal);
    }
}
