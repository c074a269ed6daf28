using System.Diagnostics;
using System.Text;

namespace Talm.Lab.Spokes;

/// <summary>Runs a program to completion, capturing its output; cancelling kills it (and its children).</summary>
public static class ChildProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, CancellationToken ct,
        IReadOnlyDictionary<string, string>? environment = null, string? logFile = null)
    {
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment) info.Environment[k] = v;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            throw;
        }
        finally
        {
            if (logFile is not null)
            {
                string text;
                lock (output) lock (error) text = $"$ {file} {string.Join(' ', info.ArgumentList)}\n{output}{error}\n";
                await File.AppendAllTextAsync(logFile, text, CancellationToken.None);
            }
        }
        lock (output) lock (error) return new Result(process.ExitCode, output.ToString(), error.ToString());
    }

    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> args, CancellationToken ct)
    {
        var list = args.ToList();
        var r = await RunAsync(file, list, ct);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', list)} failed with exit code {r.ExitCode}: {r.Error.Trim()}");
        return r.Output;
    }
}
