using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Talm.Recovery.Processes;

namespace Talm.Sandbox.Pods;

/// <summary>
/// Runs a Job's pod on a <see cref="SandboxNode"/> as a kubelet would: hostPath volumes checked against
/// their type, the pod in a network namespace of its own that reaches the node only through a veth pair
/// (unless it asks for the host network), a mount namespace showing exactly its volumes at their mount
/// paths, its own PID, UTS and IPC namespaces, a terminal when the container asks for one, the container's
/// command (or the image's entry point) with its args, <c>activeDeadlineSeconds</c> enforced by killing
/// it, and the exit code and log kept.
/// </summary>
public static class PodSandbox
{
    private const string ContainerPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static async Task<PodResult> RunAsync(SandboxNode node, JobPod pod, PodRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(options);
        var image = options.Images.TryGetValue(pod.Image, out var known) ? known
            : throw new InvalidOperationException($"image {pod.Image} is not known to the pod sandbox (known: {string.Join(", ", options.Images.Keys)})");
        var podName = pod.Name + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))[..5];
        var started = Stopwatch.StartNew();
        var mountProblems = CheckHostPaths(node.HostRoot, pod).ToList();
        if (mountProblems.Count > 0)
        {
            var message = $"MountVolume.SetUp failed for pod {podName}: {string.Join("; ", mountProblems)}\n";
            await AppendLogAsync(options.LogFile, podName, message).ConfigureAwait(false);
            return new PodResult(podName, -1, "FailedMount", message, started.Elapsed);
        }

        var work = Directory.CreateTempSubdirectory("talm-pod-").FullName;
        PodNetwork? network = null;
        try
        {
            network = pod.HostNetwork ? null : await PodNetwork.CreateAsync(node, options.NodeUnreachable, cancellationToken).ConfigureAwait(false);
            var script = Path.Combine(work, "setup.sh");
            await File.WriteAllTextAsync(script, PodScript.Render(Path.Combine(work, "root"), node.HostRoot, podName, pod, image), cancellationToken).ConfigureAwait(false);
            string[] environment =
            [
                "PATH=" + ContainerPath, "HOSTNAME=" + podName, "HOME=/root", "KUBERNETES_SERVICE_HOST=172.30.0.1", "KUBERNETES_SERVICE_PORT=443",
                .. pod.Tty ? ["TERM=xterm"] : Array.Empty<string>(),
                .. pod.Env.Select(e => $"{e.Key}={e.Value}"),
            ];
            string[] container =
            [
                "nsenter", "--net=" + (network?.Namespace.Path ?? node.Network.Path), "--",
                "unshare", "--mount", "--pid", "--uts", "--ipc", "--fork", "--kill-child", "--propagation", "private", "--",
                "env", "-i", .. environment, "/bin/bash", script,
                .. pod.Command ?? image.Entrypoint, .. pod.Args,
            ];
            // A terminal, as a runtime gives a container with `tty: true`: its output reaches the log through it.
            string[] command = pod.Tty ? ["script", "--quiet", "--flush", "--return", "--command", Shell.Join(container), "/dev/null"] : container;
            var deadline = pod.ActiveDeadlineSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
            var (exitCode, killed, log) = await RunAsync(command, deadline, cancellationToken).ConfigureAwait(false);
            await AppendLogAsync(options.LogFile, podName, log).ConfigureAwait(false);
            var reason = killed ? "DeadlineExceeded" : exitCode == 0 ? "Completed" : "Error";
            return new PodResult(podName, exitCode, reason, log, started.Elapsed);
        }
        finally
        {
            if (network is not null)
            {
                await network.DisposeAsync().ConfigureAwait(false);
            }

            // The pod's mounts went with its mount namespace; only the empty mount point is left.
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The kubelet's hostPath type checks (DirectoryOrCreate creates the directory).</summary>
    private static IEnumerable<string> CheckHostPaths(string hostRoot, JobPod pod)
    {
        foreach (var volume in pod.Volumes.Where(v => v.HostPath is not null && pod.Mounts.Any(m => m.Name == v.Name)))
        {
            var path = PodScript.Source(hostRoot, volume.HostPath!);
            var problem = volume.HostPathType switch
            {
                "Directory" when !Directory.Exists(path) => "is not a directory",
                "DirectoryOrCreate" when !Directory.Exists(path) => Create(path),
                "File" when !File.Exists(path) => "is not a file",
                "Socket" when (Talm.Recovery.Platform.Posix.TryLStat(path)?.Mode & 0xF000) != 0xC000 => "is not a socket",
                "" or "Directory" or "DirectoryOrCreate" or "File" or "Socket" => null,
                var other => $"has type {other}, which the pod sandbox does not check",
            };
            if (problem is not null)
            {
                yield return $"hostPath type check failed: {volume.HostPath} {problem} (volume {volume.Name})";
            }
        }

        static string? Create(string path)
        {
            Directory.CreateDirectory(path);
            return null;
        }
    }

    private static async Task<(int ExitCode, bool Killed, string Log)> RunAsync(string[] command, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {command[0]}");
        process.StandardInput.Close();
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        var killed = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            killed = true;
        }

        // Let the last lines arrive.
        process.WaitForExit();
        lock (log)
        {
            return (process.ExitCode, killed, log.ToString());
        }
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.Append(line.TrimEnd('\r')).Append('\n');
        }
    }

    private static async Task AppendLogAsync(string? file, string podName, string log)
    {
        if (file is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.AppendAllTextAsync(file, string.Create(CultureInfo.InvariantCulture, $"--- pod {podName} ---\n{log}")).ConfigureAwait(false);
    }

    /// <summary>The pod's own network namespace and the veth pair that joins it to the node.</summary>
    private sealed class PodNetwork : IAsyncDisposable
    {
        private PodNetwork(NetworkNamespace ns) => Namespace = ns;

        public NetworkNamespace Namespace { get; }

        public static async Task<PodNetwork> CreateAsync(SandboxNode node, bool unreachable, CancellationToken cancellationToken)
        {
            var runner = new ProcessRunner();
            var ns = await NetworkNamespace.CreateAsync("pod", runner, cancellationToken).ConfigureAwait(false);
            try
            {
                var k = node.NextPodSubnet();
                var veth = string.Create(CultureInfo.InvariantCulture, $"veth{k}");
                await runner.RunAsync("ip", ["link", "add", "eth0", "netns", ns.Name, "type", "veth", "peer", "name", veth, "netns", node.Network.Name], cancellationToken).ConfigureAwait(false);
                var gateway = string.Create(CultureInfo.InvariantCulture, $"10.128.{k}.1");
                await node.Network.IpAsync(cancellationToken, "addr", "add", gateway + "/24", "dev", veth).ConfigureAwait(false);
                await node.Network.IpAsync(cancellationToken, "link", "set", veth, "up").ConfigureAwait(false);
                await ns.IpAsync(cancellationToken, "addr", "add", string.Create(CultureInfo.InvariantCulture, $"10.128.{k}.2/24"), "dev", "eth0").ConfigureAwait(false);
                await ns.IpAsync(cancellationToken, "link", "set", "eth0", "up").ConfigureAwait(false);
                if (!unreachable)
                {
                    await ns.IpAsync(cancellationToken, "route", "add", "default", "via", gateway).ConfigureAwait(false);
                }

                return new PodNetwork(ns);
            }
            catch
            {
                await ns.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public ValueTask DisposeAsync() => Namespace.DisposeAsync();
    }
}
