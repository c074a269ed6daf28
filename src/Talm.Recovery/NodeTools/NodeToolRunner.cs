using System.Diagnostics;
using System.Text;

namespace Talm.Recovery.NodeTools;

/// <summary>
/// Runs the node's service tools (systemctl, crictl, crio, setenforce, oc, rpm-ostree, tar, etcdctl)
/// by name, resolved on the given search path, with output captured for error reports.
/// </summary>
public sealed class NodeToolRunner(string searchPath, IReadOnlyDictionary<string, string> environment)
{
    private const int MaxOutput = 4000;

    /// <summary>Full path of a tool on the search path, or null.</summary>
    public string? Find(string name)
    {
        if (name.Contains('/'))
        {
            return File.Exists(name) ? name : null;
        }

        foreach (var dir in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs the tool; a non-zero exit throws <see cref="NodeToolException"/> naming the step.</summary>
    public ToolResult Run(string step, string name, params string[] args)
    {
        var result = TryRun(step, name, args);
        return result.Succeeded ? result : throw new NodeToolException(step, result.Command, result.ExitCode, result.Output);
    }

    /// <summary>Runs the tool and returns its exit code and output whatever they are.</summary>
    public ToolResult TryRun(string step, string name, params string[] args)
    {
        var command = Display(name, args);
        var path = Find(name) ?? throw new NodeToolException(step, command, 127, $"{name} not found on PATH ({searchPath})");
        var start = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PATH"] = searchPath;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new NodeToolException(step, command, 127, $"cannot start {path}");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var stdout = new StringBuilder();
        var gate = new Lock();
        void Append(string? line, bool isStdout)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                output.AppendLine(line);
                if (isStdout)
                {
                    stdout.AppendLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Append(e.Data, true);
        process.ErrorDataReceived += (_, e) => Append(e.Data, false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        var text = output.ToString().Trim();
        if (text.Length > MaxOutput)
        {
            text = "..." + text[^MaxOutput..];
        }

        return new ToolResult(command, process.ExitCode, text, stdout.ToString().Trim());
    }

    private static string Display(string name, string[] args) =>
        string.Join(' ', new[] { name }.Concat(args.Select(a => a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '{') ? $"'{a}'" : a)));
}
