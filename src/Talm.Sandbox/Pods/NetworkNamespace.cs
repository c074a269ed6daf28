using System.Globalization;
using Talm.Recovery.Processes;

namespace Talm.Sandbox.Pods;

/// <summary>
/// A named network namespace (<c>ip netns add</c>), private to the sandbox: only loopback and the veth pairs
/// the sandbox creates live in it, so its private addresses never reach the machine's network. Names carry
/// the creating process's id, and namespaces left behind by a process that died are removed on the next use.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private const string Prefix = "talm-";
    private static int _counter;
    private readonly ProcessRunner _runner;

    private NetworkNamespace(string name, ProcessRunner runner)
    {
        Name = name;
        _runner = runner;
    }

    public string Name { get; }

    /// <summary>The path nsenter and setns take.</summary>
    public string Path => "/run/netns/" + Name;

    public static async Task<NetworkNamespace> CreateAsync(string role, ProcessRunner runner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        await RemoveStaleAsync(runner, cancellationToken).ConfigureAwait(false);
        var name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}-{role}");
        await runner.RunAsync("ip", ["netns", "add", name], cancellationToken).ConfigureAwait(false);
        var ns = new NetworkNamespace(name, runner);
        await ns.IpAsync(cancellationToken, "link", "set", "lo", "up").ConfigureAwait(false);
        return ns;
    }

    /// <summary>Runs <c>ip -n NAME ARGS</c>.</summary>
    public Task<ProcessResult> IpAsync(CancellationToken cancellationToken, params string[] args) =>
        _runner.RunAsync("ip", ["-n", Name, .. args], cancellationToken);

    public async ValueTask DisposeAsync() => await _runner.TryRunAsync("ip", ["netns", "delete", Name]).ConfigureAwait(false);

    private static async Task RemoveStaleAsync(ProcessRunner runner, CancellationToken cancellationToken)
    {
        if (!Directory.Exists("/run/netns"))
        {
            return;
        }

        foreach (var entry in Directory.EnumerateFiles("/run/netns", Prefix + "*"))
        {
            var parts = System.IO.Path.GetFileName(entry)[Prefix.Length..].Split('-');
            if (parts.Length >= 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !Directory.Exists("/proc/" + pid))
            {
                await runner.TryRunAsync("ip", ["netns", "delete", System.IO.Path.GetFileName(entry)], cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
