using Talm.Recovery.Processes;

namespace Talm.Recovery.NodeTools;

/// <summary>
/// Runs the node's service tools (systemctl, crictl, crio, setenforce, oc, rpm-ostree, tar, etcdctl)
/// by name, resolved on the given search path (so tests can put recording stand-ins first), with
/// output kept for the error report.
/// </summary>
public sealed class NodeToolRunner
{
    private const int MaxOutput = 4000;
    private readonly string _searchPath;
    private readonly ProcessRunner _runner;

    /// <param name="searchPath">PATH used to find the tools, also given to them.</param>
    /// <param name="environment">Extra variables for the tools (e.g. KUBECONFIG for oc).</param>
    public NodeToolRunner(string searchPath, IReadOnlyDictionary<string, string> environment)
    {
        _searchPath = searchPath;
        var env = environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal);
        env["PATH"] = searchPath;
        _runner = new ProcessRunner(environment: env);
    }

    /// <summary>The PATH the tools are looked up on.</summary>
    public string SearchPath => _searchPath;

    /// <summary>Full path of a tool on the search path (an executable file, as <see cref="ExecutableLookup"/> finds it), or null.</summary>
    public string? Find(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(name) ? name : null;
        }

        return ExecutableLookup.Find(name, _searchPath);
    }

    /// <summary>Runs the tool; a non-zero exit throws <see cref="NodeToolException"/> naming the step.</summary>
    public async Task<ToolResult> RunAsync(string step, string name, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(step, name, args, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result : throw new NodeToolException(step, result.Command, result.ExitCode, result.Output);
    }

    /// <summary>Runs the tool and returns its exit code and output whatever they are.</summary>
    public async Task<ToolResult> TryRunAsync(string step, string name, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var command = ProcessRunner.FormatCommandLine(name, args);
        var path = Find(name) ?? throw new NodeToolException(step, command, 127, $"{name} not found on PATH ({_searchPath})");
        var result = await _runner.TryRunAsync(path, args, cancellationToken).ConfigureAwait(false);
        var output = (result.StandardOutput.Trim() + "\n" + result.StandardError.Trim()).Trim();
        if (output.Length > MaxOutput)
        {
            output = "..." + output[^MaxOutput..];
        }

        return new ToolResult(command, result.ExitCode, output, result.StandardOutput.Trim());
    }
}
