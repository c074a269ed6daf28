using System.Diagnostics;
using System.Globalization;
using Talm.Lab.Hub;

namespace Talm.Lab.Run;

/// <summary>
/// <c>talm operator --kubeconfig ...</c> as a child of the lab: its output goes to operator.log in the
/// lab directory, its pid to operator.pid (so a later lab run can stop one left behind); disposing
/// sends SIGTERM (the CLI stops cleanly on it) and kills it if it has not gone after the grace time.
/// </summary>
public sealed class OperatorProcess : IRunningOperator
{
    public const string LogFileName = "operator.log";
    public const string PidFileName = "operator.pid";

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly string _pidFile;
    private readonly TimeSpan _grace;

    private OperatorProcess(Process process, StreamWriter log, string logPath, string pidFile, TimeSpan grace)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        _pidFile = pidFile;
        _grace = grace;
        ProcessId = process.Id;
        Stopped = WhenStoppedAsync();
    }

    public OperatorMode Mode => OperatorMode.Process;
    public int? ProcessId { get; }
    public string? LogPath { get; }
    public RequestCounter? ClientCounter => null;
    public Task<string> Stopped { get; }

    public static OperatorProcess Start(OperatorProcessSettings settings, string kubeconfigPath, string workDir, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(environment);
        Directory.CreateDirectory(workDir);
        var info = new ProcessStartInfo(settings.TalmFile)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in settings.TalmPrefix) info.ArgumentList.Add(a);
        foreach (var a in (string[])["operator", "--kubeconfig", kubeconfigPath, "--metrics-bind", "0", "--health-bind", "0",
                     "--log-format", "text", "--log-level", settings.LogLevel])
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment) info.Environment[k] = v;

        var logPath = Path.Combine(workDir, LogFileName);
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        log.WriteLine($"$ {settings.TalmFile} {string.Join(' ', info.ArgumentList)}");
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {settings.TalmFile}");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            log.Dispose();
            throw new InvalidOperationException($"Cannot start the operator ({settings.TalmFile}: {e.Message}); build the CLI (./talm --help) or use --operator inproc.", e);
        }
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var pidFile = Path.Combine(workDir, PidFileName);
        File.WriteAllText(pidFile, process.Id.ToString(CultureInfo.InvariantCulture));
        return new OperatorProcess(process, log, logPath, pidFile, settings.StopGrace);
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log) log.WriteLine(line);
    }

    private async Task<string> WhenStoppedAsync()
    {
        await _process.WaitForExitAsync(CancellationToken.None);
        string[] tail;
        lock (_log)
        {
            _log.Flush();
            tail = File.ReadLines(LogPath!).TakeLast(20).ToArray();
        }
        return $"The operator (pid {ProcessId}) exited with code {_process.ExitCode} before the lab ended; its log says why (or run with --operator inproc). The end of {LogPath}:\n{string.Join('\n', tail)}";
    }

    /// <summary>Stops an operator that a previous lab run in <paramref name="workDir"/> left running (its pid file).</summary>
    public static async Task StopRecordedAsync(string workDir)
    {
        var pidFile = Path.Combine(workDir, PidFileName);
        if (!File.Exists(pidFile)) return;
        if (int.TryParse(await File.ReadAllTextAsync(pidFile), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            try
            {
                // Only if that pid is still our operator for this lab directory, not a process that reused the number.
                var cmdline = await File.ReadAllTextAsync($"/proc/{pid}/cmdline");
                if (cmdline.Contains("\0operator\0", StringComparison.Ordinal) && cmdline.Contains(workDir, StringComparison.Ordinal))
                {
                    using var p = Process.GetProcessById(pid);
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // Gone already.
            }
        }
        File.Delete(pidFile);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await SignalTermAsync(_process.Id);
            using var grace = new CancellationTokenSource(_grace);
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        await Stopped;
        _process.Dispose();
        lock (_log) _log.Dispose();
        File.Delete(_pidFile);
    }

    private static async Task SignalTermAsync(int pid)
    {
        // .NET has no portable SIGTERM; kill(1) is on every Linux.
        var info = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add("-TERM");
        info.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        using var kill = Process.Start(info);
        if (kill is not null) await kill.WaitForExitAsync();
    }
}
