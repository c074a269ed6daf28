using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Talm.Recovery.Processes;

/// <summary>
/// A long-running program (the lab's operator, a conformance hub's API server, operator and kubectl proxy),
/// where <see cref="ProcessRunner"/> runs a tool to its end: its output goes to a log file, a caller can wait
/// for a line that says it is ready, and disposing stops it with SIGTERM (then SIGKILL after a grace time) so
/// it writes its last lines.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _pumps;
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private readonly TimeSpan _grace;

    private ServiceProcess(string name, Process process, StreamWriter log, string logPath, TimeSpan grace)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        _grace = grace;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
        Exited = WhenExitedAsync();
    }

    /// <summary>Completes with the exit code once the process has ended and its output is in the log.</summary>
    public Task<int> Exited { get; }

    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>A sentence when it has stopped on its own, else null.</summary>
    public string? Problem => _process.HasExited
        ? $"{Name} exited with code {_process.ExitCode} (see {LogPath})"
        : null;

    /// <summary>Starts it; <paramref name="appendLog"/> false starts the log afresh.</summary>
    public static ServiceProcess Start(string name, string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment,
        string logPath, TimeSpan? grace = null, bool appendLog = true)
    {
        ArgumentNullException.ThrowIfNull(args);
        var searchPath = ExecutableLookup.SearchPathFor(environment?.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value)));
        var resolved = ExecutableLookup.Find(program, searchPath)
            ?? throw new InvalidOperationException($"cannot start {name}: {ExecutableLookup.NotFound(program, searchPath)}");
        var info = new ProcessStartInfo(resolved)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                info.Environment[k] = v;
        }

        var log = new StreamWriter(logPath, append: appendLog) { AutoFlush = true };
        log.WriteLine($"$ {program} {string.Join(' ', info.ArgumentList)}");
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            log.Dispose();
            throw new InvalidOperationException($"cannot start {name} ({program}): {e.Message}", e);
        }
        process.StandardInput.Close();
        return new ServiceProcess(name, process, log, logPath, grace ?? TimeSpan.FromSeconds(5));
    }

    /// <summary>The first output line that matches; fails when the process ends first or the time is up.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken ct)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters) _waiters.Add((match, found));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var exited = _process.WaitForExitAsync(limit.Token);
        var first = await Task.WhenAny(found.Task, exited, Task.Delay(Timeout.Infinite, limit.Token)).ConfigureAwait(false);
        // Ends the waits that lost the race.
        await limit.CancelAsync().ConfigureAwait(false);
        if (first == found.Task) return await found.Task.ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        lock (_waiters) _waiters.RemoveAll(w => w.Found == found);
        if (_process.HasExited)
        {
            await _pumps.ConfigureAwait(false);
            if (found.Task.IsCompleted) return await found.Task.ConfigureAwait(false);
        }
        var why = _process.HasExited
            ? $"{Name} exited with code {_process.ExitCode} before it was ready"
            : $"{Name} was not ready within {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s";
        throw new InvalidOperationException($"{why}; the end of {LogPath}:\n{Tail(15)}");
    }

    /// <summary>The last lines of its log.</summary>
    public string Tail(int lines)
    {
        lock (_log) _log.Flush();
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = new List<string>();
        while (reader.ReadLine() is { } line) all.Add(line);
        return string.Join('\n', all.TakeLast(lines).Select(l => "  " + l));
    }

    private async Task<int> WhenExitedAsync()
    {
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await _pumps.ConfigureAwait(false);
        return _process.ExitCode;
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_log) _log.WriteLine(line);
            lock (_waiters)
            {
                for (var i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (!_waiters[i].Match(line)) continue;
                    _waiters[i].Found.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // .NET can only SIGKILL; SIGTERM lets it write its last lines.
            _ = Kill(_process.Id, SigTerm);
            using var grace = new CancellationTokenSource(_grace);
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        await _pumps.ConfigureAwait(false);
        lock (_log) _log.WriteLine($"[exited with code {_process.ExitCode}]");
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
