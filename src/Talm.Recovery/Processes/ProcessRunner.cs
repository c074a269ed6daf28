using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Talm.Recovery.Processes;

/// <summary>
/// Runs external tools (ostree, tar, podman, systemctl...) with arguments passed as a list (no shell),
/// capturing their output. <see cref="RunAsync"/> throws on a non-zero exit, naming the command.
/// </summary>
public sealed class ProcessRunner
{
    private readonly ILogger _logger;
    private readonly IReadOnlyDictionary<string, string?>? _environment;
    private readonly string? _transcript;

    /// <param name="environment">Variables to set (or, with a null value, remove) in every child.</param>
    /// <param name="transcript">A file each command line and its output are appended to (the lab's per-spoke log), or null.</param>
    public ProcessRunner(ILogger? logger = null, IReadOnlyDictionary<string, string?>? environment = null, string? transcript = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _environment = environment;
        _transcript = transcript;
    }

    /// <summary>Runs the command and throws <see cref="ProcessFailedException"/> unless it exits 0.</summary>
    public async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken = default, string? workingDirectory = null)
    {
        var result = await TryRunAsync(fileName, arguments, cancellationToken, workingDirectory).ConfigureAwait(false);
        return result.Succeeded ? result : throw new ProcessFailedException(result);
    }

    /// <summary>Runs the command and returns its result whatever the exit code; a command that cannot start gives exit code 127.</summary>
    public async Task<ProcessResult> TryRunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken = default, string? workingDirectory = null)
    {
        var searchPath = ExecutableLookup.SearchPathFor(_environment);
        var program = ExecutableLookup.Find(fileName, searchPath);
        if (program is null)
        {
            return new ProcessResult(FormatCommandLine(fileName, arguments), 127, "", $"cannot start {fileName}: {ExecutableLookup.NotFound(fileName, searchPath)}");
        }

        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        if (_environment is not null)
        {
            foreach (var (key, value) in _environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }
        }

        var commandLine = FormatCommandLine(fileName, info.ArgumentList);
        _logger.LogDebug("Running {Command}", commandLine);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessResult(commandLine, 127, "", $"cannot start {program}: {e.Message}");
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            throw;
        }

        var result = new ProcessResult(commandLine, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        _logger.LogDebug("{Command} exited {ExitCode}", commandLine, result.ExitCode);
        if (_transcript is not null)
        {
            await File.AppendAllTextAsync(_transcript, $"$ {commandLine}\n{result.StandardOutput}{result.StandardError}\n", CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }

    public static string FormatCommandLine(string fileName, IEnumerable<string> arguments)
    {
        var builder = new StringBuilder(fileName);
        foreach (var argument in arguments)
        {
            builder.Append(' ');
            var needsQuotes = argument.Length == 0 || argument.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '\\');
            builder.Append(needsQuotes ? "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : argument);
        }

        return builder.ToString();
    }
}
