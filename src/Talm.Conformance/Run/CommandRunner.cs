using System.Diagnostics;
using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Run;

/// <summary>
/// Runs kuttl commands the way kuttl does: no shell (<see cref="CommandArgs"/>), in the given folder, with the
/// environment kuttl gives them (NAMESPACE, KUBECONFIG, PATH with the reference's bin/ first), a time limit
/// (the command's own, else the suite's), and output into the scenario's log. A program named with a slash is
/// found relative to the folder the command runs in; a bare name is looked up in PATH.
/// </summary>
public sealed class CommandRunner(IReadOnlyDictionary<string, string> environment, TextWriter log)
{
    private readonly TextWriter _log = TextWriter.Synchronized(log);

    /// <summary>The environment the commands see (the runner's own plus KUBECONFIG, PATH and the like).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; } = environment;

    /// <summary>Runs the commands in order; the first failure stops the rest and comes back as a message.</summary>
    public async Task<string?> RunAllAsync(IReadOnlyList<TestCommand> commands, string workDir, string ns, int suiteTimeout,
        ICollection<Process>? background, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(commands);
        for (var i = 0; i < commands.Count; i++)
        {
            var error = await RunAsync(commands[i], workDir, ns, suiteTimeout, background, ct);
            if (error is null) continue;
            if (i + 1 < commands.Count) _log.WriteLine($"command failure, skipping {commands.Count - i - 1} additional commands");
            return error;
        }
        return null;
    }

    /// <summary>Null on success. <paramref name="background"/> null: background commands run in the foreground (kuttl, in steps).</summary>
    public async Task<string?> RunAsync(TestCommand command, string workDir, string ns, int suiteTimeout, ICollection<Process>? background, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        var env = new Dictionary<string, string>(Environment, StringComparer.Ordinal) { ["NAMESPACE"] = ns };
        IReadOnlyList<string> argv;
        try
        {
            argv = CommandArgs.Build(command, ns, name => env.GetValueOrDefault(name));
        }
        catch (FormatException e)
        {
            return $"processing command \"{command.Text}\": {e.Message}";
        }
        var timeout = command.Timeout < 0 ? 0 : command.Timeout > 0 ? command.Timeout : suiteTimeout;
        var inBackground = command.Background && background is not null;
        _log.WriteLine($"running command: [{string.Join(' ', argv)}] (in {workDir})");

        var program = Resolve(argv[0], workDir, env.GetValueOrDefault("PATH") ?? string.Empty);
        if (program is null) return $"command \"{command.Text}\": {argv[0]}: executable file not found";
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in argv.Skip(1)) info.ArgumentList.Add(a);
        info.Environment.Clear();
        foreach (var (k, v) in env) info.Environment[k] = v;

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"command \"{command.Text}\": cannot start {program}: {e.Message}";
        }
        process.StandardInput.Close();
        var output = Pump(process, command.SkipLogOutput);
        if (inBackground)
        {
            background!.Add(process);
            return null;
        }
        using (process)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (timeout > 0) limit.CancelAfter(TimeSpan.FromSeconds(timeout));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                await output;
                ct.ThrowIfCancellationRequested();
                return $"command \"{command.Text}\" exceeded {timeout} sec timeout";
            }
            await output;
            var code = process.ExitCode;
            if (code == 0 || command.IgnoreFailure) return null;
            return $"command \"{command.Text}\" failed, exit status {code}";
        }
    }

    private Task Pump(Process process, bool quiet)
    {
        var stdout = Copy(process.StandardOutput, quiet);
        var stderr = Copy(process.StandardError, quiet);
        return Task.WhenAll(stdout, stderr);
    }

    private async Task Copy(StreamReader reader, bool quiet)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (quiet) continue;
            _log.WriteLine("    " + line);
        }
    }

    /// <summary>Go's exec rules: a name with a slash is a path (relative to <paramref name="workDir"/>); else PATH.</summary>
    public static string? Resolve(string program, string workDir, string path)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (program.Contains('/', StringComparison.Ordinal))
            return Path.GetFullPath(Path.Combine(workDir, program));
        foreach (var dir in path.Split(':'))
        {
            var candidate = Path.Combine(dir.Length == 0 ? "." : dir, program);
            if (File.Exists(candidate) && IsExecutable(candidate)) return Path.GetFullPath(candidate, workDir);
        }
        return null;
    }

    private static bool IsExecutable(string file) =>
        OperatingSystem.IsWindows() || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
