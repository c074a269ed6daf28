using System.Diagnostics;
using System.Globalization;
using Talm.Lab.Hub;
using Talm.Recovery.Processes;

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

    private readonly ServiceProcess _service;
    private readonly string _pidFile;

    private OperatorProcess(ServiceProcess service, string pidFile)
    {
        _service = service;
        _pidFile = pidFile;
        Stopped = WhenStoppedAsync();
    }

    public OperatorMode Mode => OperatorMode.Process;
    public int? ProcessId => _service.Id;
    public string? LogPath => _service.LogPath;
    public RequestCounter? ClientCounter => null;
    public Task<string> Stopped { get; }

    public static OperatorProcess Start(OperatorProcessSettings settings, string kubeconfigPath, string workDir, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(environment);
        Directory.CreateDirectory(workDir);
        string[] args =
        [
            .. settings.TalmPrefix, "operator", "--kubeconfig", kubeconfigPath, "--metrics-bind", "0", "--health-bind", "0",
            "--log-format", "text", "--log-level", settings.LogLevel,
        ];
        ServiceProcess service;
        try
        {
            service = ServiceProcess.Start("the operator", settings.TalmFile, args, environment, Path.Combine(workDir, LogFileName), settings.StopGrace, appendLog: false);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Cannot start the operator ({settings.TalmFile}: {e.InnerException?.Message ?? e.Message}); build the CLI (./talm --help) or use --operator inproc.", e);
        }

        var pidFile = Path.Combine(workDir, PidFileName);
        File.WriteAllText(pidFile, service.Id.ToString(CultureInfo.InvariantCulture));
        return new OperatorProcess(service, pidFile);
    }

    private async Task<string> WhenStoppedAsync()
    {
        var code = await _service.Exited;
        return $"The operator (pid {ProcessId}) exited with code {code} before the lab ended; its log says why (or run with --operator inproc). The end of {LogPath}:\n{_service.Tail(20)}";
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
        await _service.DisposeAsync();
        File.Delete(_pidFile);
    }
}
